import { ChatTemplateError } from "./errors.js";

/**
 * Jinja lexer for chat templates. Whitespace handling follows Hugging Face's chat-template
 * environment (trim_blocks and lstrip_blocks on): a newline right after a block tag is dropped,
 * and spaces/tabs before a block tag at the start of a line are dropped; `{%-`/`-%}` (and the same
 * for `{{ }}` and `{# #}`) strip all whitespace on that side.
 */
export type Token =
  | { type: "text"; value: string }
  | { type: "open"; tag: "output" | "block" }
  | { type: "close"; tag: "output" | "block" }
  | { type: "name"; value: string }
  | { type: "string"; value: string }
  | { type: "number"; value: number }
  | { type: "op"; value: string };

const OPERATORS = ["==", "!=", "<=", ">=", "//", "**", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="];

export function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  let stripNextText = false; // set by "-%}" / "-}}" / "-#}"
  let trimNewline = false; // trim_blocks: after "%}" or "#}"
  while (position < source.length) {
    const next = findTagStart(source, position);
    let text = source.slice(position, next === -1 ? source.length : next);
    if (trimNewline) text = text.replace(/^\r?\n/, "");
    if (stripNextText) text = text.replace(/^\s+/, "");
    trimNewline = false;
    stripNextText = false;
    if (next === -1) {
      if (text) tokens.push({ type: "text", value: text });
      break;
    }
    const kind = source[next + 1];
    const stripBefore = source[next + 2] === "-";
    const keepBefore = source[next + 2] === "+";
    if (stripBefore) text = text.replace(/\s+$/, "");
    else if (kind !== "{" && !keepBefore && onlyIndentBefore(source, position, next)) text = text.replace(/[ \t]+$/, ""); // lstrip_blocks
    if (text) tokens.push({ type: "text", value: text });
    let cursor = next + 2 + (stripBefore || keepBefore ? 1 : 0);
    if (kind === "#") {
      const end = source.indexOf("#}", cursor);
      if (end === -1) throw new ChatTemplateError("chat template: unclosed comment {# ... #}");
      stripNextText = source[end - 1] === "-";
      trimNewline = true;
      position = end + 2;
      continue;
    }
    const tag = kind === "{" ? "output" : "block";
    const closer = kind === "{" ? "}}" : "%}";
    tokens.push({ type: "open", tag });
    cursor = lexExpression(source, cursor, closer, tokens);
    stripNextText = source[cursor - 1] === "-";
    tokens.push({ type: "close", tag });
    trimNewline = tag === "block";
    position = cursor + 2;
  }
  return tokens;
}

/** True when the tag at `tag` has only spaces/tabs before it on its line, all inside the current text. */
function onlyIndentBefore(source: string, textStart: number, tag: number): boolean {
  const lineStart = source.lastIndexOf("\n", tag - 1) + 1;
  return lineStart >= textStart && /^[ \t]*$/.test(source.slice(lineStart, tag));
}

function findTagStart(source: string, from: number): number {
  for (let i = source.indexOf("{", from); i !== -1; i = source.indexOf("{", i + 1)) {
    const next = source[i + 1];
    if (next === "{" || next === "%" || next === "#") return i;
  }
  return -1;
}

/** Lexes expression tokens until `closer` (optionally preceded by "-"); returns the closer's index. */
function lexExpression(source: string, start: number, closer: string, tokens: Token[]): number {
  let i = start;
  let depth = 0; // open ( [ {: like Jinja, "}}" inside a dict literal does not end the tag
  for (;;) {
    while (i < source.length && /\s/.test(source[i])) i++;
    if (i >= source.length) throw new ChatTemplateError(`chat template: missing "${closer}"`);
    if (depth === 0 && source.startsWith(closer, i)) return i;
    if (depth === 0 && source[i] === "-" && source.startsWith(closer, i + 1)) return i + 1;
    const char = source[i];
    if (char === "'" || char === '"') {
      let value = "";
      let j = i + 1;
      while (j < source.length && source[j] !== char) {
        if (source[j] === "\\" && j + 1 < source.length) {
          const escaped = source[++j];
          value += escaped === "n" ? "\n" : escaped === "t" ? "\t" : escaped === "r" ? "\r" : escaped;
        } else {
          value += source[j];
        }
        j++;
      }
      if (j >= source.length) throw new ChatTemplateError("chat template: unterminated string literal");
      tokens.push({ type: "string", value });
      i = j + 1;
      continue;
    }
    const number = /^\d+(\.\d+)?/.exec(source.slice(i, i + 32));
    if (number) {
      tokens.push({ type: "number", value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 256));
    if (name) {
      tokens.push({ type: "name", value: name[0] });
      i += name[0].length;
      continue;
    }
    const operator = OPERATORS.find((op) => source.startsWith(op, i));
    if (!operator) throw new ChatTemplateError(`chat template: unexpected character "${char}"`);
    if (operator === "(" || operator === "[" || operator === "{") depth++;
    else if ((operator === ")" || operator === "]" || operator === "}") && depth > 0) depth--;
    tokens.push({ type: "op", value: operator });
    i += operator.length;
  }
}
