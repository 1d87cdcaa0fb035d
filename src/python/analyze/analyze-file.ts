import type { Parser } from "web-tree-sitter";
import { localFindings } from "../findings/local.js";
import { extractFacts } from "../findings/facts.js";
import { analyzeComplexity } from "../metrics/complexity.js";
import { computeHalstead } from "../metrics/halstead.js";
import { maintainabilityIndex } from "../metrics/maintainability.js";
import { computeRawMetrics, RawMetricsError } from "../metrics/raw.js";
import { type FlatTree, flattenTree } from "../parse/flat-tree.js";
import { parsePython, type SyntaxNode } from "../parse/parser.js";
import type { FileAnalysis, RawMetrics } from "../types.js";
import { decodePythonSource } from "./source.js";

/** A file parsed and copied out of wasm, ready for `analyzeFlatTree`; or why it could not be. */
export type ParsedFile = { state: "parsed"; path: string; hash: string; tree: FlatTree } | Extract<FileAnalysis, { state: "error" }>;

/** Analyzes one file's bytes: decode, parse once, then every per-file metric and finding. */
export function analyzeFile(parser: Parser, path: string, bytes: Uint8Array, hash: string): FileAnalysis {
  const parsed = parseFile(parser, path, bytes, hash);
  return parsed.state === "parsed" ? analyzeFlatTree(parsed.path, parsed.hash, parsed.tree) : parsed;
}

/** Decode and parse one file, and copy its tree out of wasm (the part that needs a parser). */
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

/** Every per-file metric and finding of a parsed file (plain JavaScript over the flat tree). */
export function analyzeFlatTree(path: string, hash: string, flat: FlatTree): FileAnalysis {
  const source = flat.source;
  const root = flat.rootNode;
  let raw: RawMetrics;
  try {
    raw = computeRawMetrics(source);
  } catch (error) {
    // radon gives up on these files too (tokens Python's tokenizer refuses that tree-sitter accepts).
    if (error instanceof RawMetricsError) return { state: "error", path, hash, message: `syntax error: ${error.message}` };
    throw error;
  }
  const halstead = computeHalstead(root, source);
  const { blocks, total } = analyzeComplexity(root);
  const mi = maintainabilityIndex({ halsteadVolume: halstead.volume, totalComplexity: total, raw });
  const facts = extractFacts(root, source);
  const isPackageInit = path === "__init__.py" || path.endsWith("/__init__.py");
  const findings = localFindings(root, source, path, facts, { isPackageInit });
  return { state: "ok", path, hash, lines: raw.loc, metrics: { raw, halstead, mi, blocks }, findings, facts };
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
