/** Names hidden in string literals and comments: forward references, type comments, `__all__`. */
import type { AnalysisNode } from "../parse/flat-node.js";
import { typeOf, typeOfMaybe } from "./nodes.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `name`, `pkg.mod.func`, and entry-point targets `pkg.cli:main`. */
const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*([.:][A-Za-z_][A-Za-z0-9_]*)*$/;
const TYPE_NAME = /(\.?)\s*\b([A-Za-z_][A-Za-z0-9_]*)/g;

/** The text between the quotes of a string literal without interpolations; undefined when it has any. */
export function stringContent(node: AnalysisNode, source: string, type = typeOf(node)): string | undefined {
  if (type !== "string") return undefined;
  const text = source.slice(node.startIndex, node.endIndex);
  const opening = /^[A-Za-z]*("""|'''|"|')/.exec(text);
  if (!opening) return undefined;
  if (/[fF]/.test(text.slice(0, opening[0].length - (opening[1] as string).length))) {
    for (const child of node.namedChildren) if (typeOfMaybe(child) === "interpolation") return undefined;
  }
  const quote = (opening[1] as string).length;
  return text.slice(opening[0].length, Math.max(opening[0].length, text.length - quote));
}

/**
 * The literal identifier prefix of a computed attribute name: `"visit_" + kind` and
 * `f"do_{command}"` give `visit_` and `do_` (dispatch by name, as `ast.NodeVisitor` and `cmd.Cmd` do).
 */
export function identifierPrefix(node: AnalysisNode, source: string, type = typeOf(node)): string | undefined {
  let candidate: string | undefined;
  if (type === "binary_operator") {
    const left = node.namedChildren[0];
    const operator = typeOfMaybe(node.childForFieldName("operator"));
    if (typeOfMaybe(left) === "string" && operator === "+") candidate = stringContent(left, source);
    // `"do_%s" % name`: the text before the first conversion.
    else if (typeOfMaybe(left) === "string" && operator === "%") candidate = literalBefore(stringContent(left, source), "%");
  } else if (type === "call") {
    // `"do_{}".format(name)`: the text before the first replacement field.
    const callee = node.childForFieldName("function");
    const object = callee && typeOf(callee) === "attribute" ? callee.childForFieldName("object") : null;
    if (object && typeOf(object) === "string" && callee?.childForFieldName("attribute")?.text === "format") candidate = literalBefore(stringContent(object, source), "{");
  } else if (type === "string") {
    const [, first, second] = node.namedChildren;
    if (typeOfMaybe(first) === "string_content" && typeOfMaybe(second) === "interpolation") candidate = first.text;
  }
  return candidate !== undefined && candidate.length >= 3 && IDENTIFIER.test(candidate) ? candidate : undefined;
}

function literalBefore(content: string | undefined, marker: string): string | undefined {
  const index = content?.indexOf(marker) ?? -1;
  return index > 0 ? content?.slice(0, index) : undefined;
}

/** The literal identifier suffix of a computed attribute name: `kind + "_lib_format"` gives `_lib_format`. */
export function identifierSuffix(node: AnalysisNode, source: string, type = typeOf(node)): string | undefined {
  if (type !== "binary_operator" || typeOfMaybe(node.childForFieldName("operator")) !== "+") return undefined;
  const children = node.namedChildren;
  const right = children[children.length - 1];
  const candidate = typeOfMaybe(right) === "string" ? stringContent(right, source) : undefined;
  return candidate !== undefined && candidate.length >= 3 && /^[A-Za-z0-9_]+$/.test(candidate) ? candidate : undefined;
}

/** Calls `use` for each name in a type expression written as text (`"Optional[mod.Node]"`). */
export function readTypeExpression(text: string, use: (name: string, isAttribute: boolean) => void): void {
  if (text.length > 500) return;
  for (const match of text.matchAll(TYPE_NAME)) use(match[2] as string, match[1] === ".");
}

/** A string that spells a (dotted) identifier may name a definition (`mock.patch("m.f")`, registries). */
export function addStringNames(text: string, into: Set<string>): void {
  if (text.length === 0 || text.length > 100) return;
  // `tool = pkg.cli:main` (console_scripts entry points) names its target after the `=`.
  const content = text.includes("=") ? text.replace(/^[\w.-]+\s*=\s*/, "") : text;
  if (!DOTTED.test(content)) return;
  if (!content.includes(".") && !content.includes(":")) {
    into.add(content);
    return;
  }
  for (const part of content.split(/[.:]/)) into.add(part);
}

/** `# type: ...` at a comment's start (sticky: matched exactly there). */
export const TYPE_COMMENT = /#\s*type:\s*([^\r\n]*)/y;

/** True when the string literal starting at `start` has an `f` in its prefix (`f"`, `rf'`, `Fr"""`). */
export function hasFormatPrefix(source: string, start: number): boolean {
  for (let index = start; index < start + 3; index++) {
    const code = source.charCodeAt(index);
    if (code === 102 || code === 70) return true;
    if (code === 34 || code === 39 || Number.isNaN(code)) return false;
  }
  return false;
}

/** The identifier starting at `start` (indices are UTF-16 code units, as web-tree-sitter's). */
export function identifierAt(source: string, start: number): string {
  let end = start;
  for (;;) {
    const code = source.charCodeAt(end);
    const isPart =
      (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code > 127;
    if (!isPart || Number.isNaN(code)) break;
    end++;
  }
  return source.slice(start, end);
}
