/**
 * Memoized reads of web-tree-sitter node properties. Every `node.type`, `endIndex` or
 * `endPosition` read crosses into wasm; the findings walk asks the same node several times (the
 * parent's loop, `visit`'s switch, the unreachable-code checks), so the answer is kept on the node
 * object itself. Node objects of one parent are shared (`namedChildren` is cached by
 * web-tree-sitter), so a child read once through its parent stays answered for the whole walk.
 */
import type { SyntaxNode } from "../parse/parser.js";

const TYPE = Symbol("findings.type");
const END_ROW = Symbol("findings.endRow");

interface Memo {
  [TYPE]?: string;
  [END_ROW]?: number;
}

/** `node.type`, read from wasm once per node object. */
export function typeOf(node: SyntaxNode): string {
  const memo = node as SyntaxNode & Memo;
  let type = memo[TYPE];
  if (type === undefined) {
    type = node.type;
    memo[TYPE] = type;
  }
  return type;
}

/** `typeOf` for an optional node: undefined when there is none. */
export function typeOfMaybe(node: SyntaxNode | null | undefined): string | undefined {
  return node ? typeOf(node) : undefined;
}

/** 1-based line of the node's first character. */
export function startLineOf(node: SyntaxNode): number {
  return node.startPosition.row + 1;
}

/** 1-based line of the node's last character, read from wasm once per node object. */
export function endLineOf(node: SyntaxNode): number {
  const memo = node as SyntaxNode & Memo;
  let row = memo[END_ROW];
  if (row === undefined) {
    row = node.endPosition.row;
    memo[END_ROW] = row;
  }
  return row + 1;
}
