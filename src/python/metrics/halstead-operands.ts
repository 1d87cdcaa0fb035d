import type { AnalysisNode } from "../parse/flat-node.js";

/**
 * How radon's HalsteadVisitor tells operands apart: `getattr(operand, {"Name": "id",
 * "Attribute": "attr", "Constant": "value"}[class], operand)` goes into a Python set, so
 *  - a Name `x`, an Attribute `.x` and the string constant `'x'` are the same operand;
 *  - constants compare by Python equality: 1 == 1.0 == True == 1+0j, 0 == False, b'x' != 'x';
 *  - any other expression (a call, a subscript, a nested BinOp, an f-string) is the `ast` node
 *    itself, equal only to itself.
 * Returns the key shared by equal operands, or null for an operand equal only to itself.
 */
export function operandKey(node: AnalysisNode): string | null {
  let current = node;
  while (current.type === "parenthesized_expression") {
    const inner = firstNamedNonExtra(current);
    if (!inner) return null;
    current = inner;
  }
  switch (current.type) {
    case "identifier":
      return `s:${identifierText(current.text)}`;
    case "attribute": {
      const attribute = current.childForFieldName("attribute");
      return attribute ? `s:${identifierText(attribute.text)}` : null;
    }
    case "true":
      return "n:1";
    case "false":
      return "n:0";
    case "none":
      return "None";
    case "ellipsis":
      return "Ellipsis";
    case "integer":
    case "float":
      return numberKey(current.text, current.type === "integer");
    case "string":
      return stringKey([current]);
    case "concatenated_string": {
      const pieces: AnalysisNode[] = [];
      for (let index = 0; index < current.namedChildCount; index++) {
        const child = current.namedChild(index) as AnalysisNode;
        if (child.type === "string") pieces.push(child);
      }
      return stringKey(pieces);
    }
    default:
      return null;
  }
}

function firstNamedNonExtra(node: AnalysisNode): AnalysisNode | null {
  for (let index = 0; index < node.namedChildCount; index++) {
    const child = node.namedChild(index) as AnalysisNode;
    if (!child.isExtra) return child;
  }
  return null;
}

/** Key of a Python number literal under Python's cross-type equality. */
export function numberKey(text: string, isInteger: boolean): string {
  const digits = text.replace(/_/g, "");
  const last = digits.charCodeAt(digits.length - 1) | 0x20;
  if (last === 106) {
    // An imaginary literal is complex(0, value): equal to a real number only when it is 0j.
    const value = Number(digits.slice(0, -1));
    return value === 0 ? "n:0" : `j:${floatKey(value)}`;
  }
  if (isInteger && !/[.eE]/.test(digits) || /^0[xXoObB]/.test(digits)) {
    const normalized = /^0+\d/.test(digits) ? digits.replace(/^0+/, "") : digits;
    return `n:${BigInt(normalized).toString()}`;
  }
  return `n:${floatKey(Number(digits))}`;
}

function floatKey(value: number): string {
  if (!Number.isFinite(value)) return "inf";
  if (Number.isInteger(value)) return BigInt(value).toString();
  return String(value);
}

/** Key of an implicit concatenation of string literals; null when any piece is an f-string
 * (the whole is a JoinedStr node). */
function stringKey(pieces: AnalysisNode[]): string | null {
  let value = "";
  let bytes = false;
  for (const piece of pieces) {
    const text = piece.text;
    let prefixEnd = 0;
    while (prefixEnd < text.length && text[prefixEnd] !== "'" && text[prefixEnd] !== '"') prefixEnd++;
    const prefix = text.slice(0, prefixEnd).toLowerCase();
    if (prefix.includes("f")) return null;
    if (prefix.includes("b")) bytes = true;
    const quote = text[prefixEnd];
    const triple = text.startsWith(quote.repeat(3), prefixEnd) && text.length >= prefixEnd + 6;
    const quoteLength = triple ? 3 : 1;
    const body = text.slice(prefixEnd + quoteLength, text.length - quoteLength).replace(/\r\n?/g, "\n");
    value += prefix.includes("r") ? body : unescape(body, prefix.includes("b"));
  }
  return `${bytes ? "b" : "s"}:${value}`;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\n": "",
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** Python's escape processing of a non-raw literal body. `\N{...}` (a Unicode name lookup) is
 * kept as its spelling, so it equals only the same spelling. */
function unescape(body: string, bytes: boolean): string {
  if (!body.includes("\\")) return body;
  let out = "";
  let index = 0;
  while (index < body.length) {
    const ch = body[index];
    if (ch !== "\\" || index + 1 >= body.length) {
      out += ch;
      index++;
      continue;
    }
    const next = body[index + 1];
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      index += 2;
      continue;
    }
    if (next >= "0" && next <= "7") {
      let end = index + 1;
      while (end < body.length && end < index + 4 && body[end] >= "0" && body[end] <= "7") end++;
      out += String.fromCodePoint(Number.parseInt(body.slice(index + 1, end), 8) & (bytes ? 0xff : 0x1ff));
      index = end;
      continue;
    }
    const hexLength = next === "x" ? 2 : !bytes && next === "u" ? 4 : !bytes && next === "U" ? 8 : 0;
    if (hexLength > 0) {
      const hex = body.slice(index + 2, index + 2 + hexLength);
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      index += 2 + hexLength;
      continue;
    }
    if (!bytes && next === "N") {
      const close = body.indexOf("}", index);
      const end = close < 0 ? body.length : close + 1;
      out += `\u0000${body.slice(index, end)}`;
      index = end;
      continue;
    }
    out += ch + next;
    index += 2;
  }
  return out;
}

/** Python normalizes identifiers to NFKC when it parses them. */
export function identifierText(text: string): string {
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) > 127) return text.normalize("NFKC");
  }
  return text;
}
