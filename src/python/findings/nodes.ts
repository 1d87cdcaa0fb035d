/**
 * Node type reads for the findings walk. Every `node.type` read crosses into wasm (a marshal of
 * the node and a call), so the walk reads a node's type once and hands it along (`visit(node,
 * type)`, `stringContent(node, source, type)`). It is not memoized on the node object: extra
 * properties give web-tree-sitter's nodes several hidden classes and slow every other access more
 * than the saved reads gain (measured).
 */
import type { AnalysisNode } from "../parse/flat-node.js";

/** `node.type` (one wasm call). */
export function typeOf(node: AnalysisNode): string {
  return node.type;
}

/** `typeOf` for an optional node: undefined when there is none. */
export function typeOfMaybe(node: AnalysisNode | null | undefined): string | undefined {
  return node ? node.type : undefined;
}
