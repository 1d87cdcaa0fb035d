import type { Parser } from "web-tree-sitter";
import { type FlatTree, flattenTree } from "../parse/flat-tree.js";
import { parsePython, type SyntaxNode } from "../parse/parser.js";
import type { FileAnalysis } from "../types.js";
import { decodePythonSource } from "./source.js";

/** A file parsed and copied out of wasm, ready for `analyzeFlatTree`; or why it could not be. */
export type ParsedFile = { state: "parsed"; path: string; hash: string; tree: FlatTree } | Extract<FileAnalysis, { state: "error" }>;

/** The result for a file whose analysis threw: reported in `errors` like a file that does not parse. */
export function analyzerFailed(path: string, hash: string, error: unknown): Extract<FileAnalysis, { state: "error" }> {
  return { state: "error", path, hash, message: `analyzer failed: ${(error as Error).message}` };
}

/**
 * Decode and parse one file, and copy its tree out of wasm: the part of an analysis that needs a
 * parser (parser threads import only this, not the analyzers).
 */
export function parseFile(parser: Parser, path: string, bytes: Uint8Array, hash: string): ParsedFile {
  const decoded = decodePythonSource(bytes);
  if (decoded.state === "error") return { state: "error", path, hash, message: decoded.message };
  const source = decoded.text;
  const tree = parsePython(parser, source);
  try {
    const wasmRoot = tree.rootNode;
    if (wasmRoot.hasError) return { state: "error", path, hash, message: describeSyntaxError(wasmRoot) };
    // One walk copies the tree out of wasm; every analyzer reads the copy (see flat-tree.ts).
    return { state: "parsed", path, hash, tree: flattenTree(tree, source) };
  } finally {
    tree.delete();
  }
}

/** The first ERROR or MISSING node, as `syntax error at line L, column C`. */
function describeSyntaxError(root: SyntaxNode): string {
  const cursor = root.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.isError || node.isMissing) {
        const where = `line ${node.startPosition.row + 1}, column ${node.startPosition.column + 1}`;
        return node.isMissing ? `syntax error at ${where}: missing ${node.type}` : `syntax error at ${where}`;
      }
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return "syntax error";
      }
    }
  } finally {
    cursor.delete();
  }
}
