import { localFindings } from "../findings/local.js";
import { extractFacts } from "../findings/facts.js";
import type { FlatParser } from "../parse/flat-parser.js";
import type { FlatTree } from "../parse/flat-tree.js";
import type { FileAnalysis } from "../types.js";
import { measureFile } from "./file-metrics.js";
import { parseFile } from "./parse-file.js";

/** Analyzes one file's bytes: decode, parse once, then every per-file metric and finding. */
export function analyzeFile(parser: FlatParser, path: string, bytes: Uint8Array, hash: string): FileAnalysis {
  const parsed = parseFile(parser, path, bytes, hash);
  return parsed.state === "parsed" ? analyzeFlatTree(parsed.path, parsed.hash, parsed.tree) : parsed;
}

/** Every per-file metric and finding of a parsed file (plain JavaScript over the flat tree). */
export function analyzeFlatTree(path: string, hash: string, flat: FlatTree): FileAnalysis {
  const measured = measureFile(flat);
  if (measured.state === "error") return { state: "error", path, hash, message: measured.message };
  const source = flat.source;
  const root = flat.rootNode;
  const facts = extractFacts(root, source);
  const isPackageInit = path === "__init__.py" || path.endsWith("/__init__.py");
  const findings = localFindings(root, source, path, facts, { isPackageInit });
  return { state: "ok", path, hash, lines: measured.metrics.raw.loc, metrics: measured.metrics, findings, facts };
}
