import type { Parser } from "web-tree-sitter";
import { localFindings } from "../findings/local.js";
import { extractFacts } from "../findings/facts.js";
import { analyzeComplexity } from "../metrics/complexity.js";
import { computeHalstead } from "../metrics/halstead.js";
import { maintainabilityIndex } from "../metrics/maintainability.js";
import { computeRawMetrics, RawMetricsError } from "../metrics/raw.js";
import type { FlatTree } from "../parse/flat-tree.js";
import type { FileAnalysis, RawMetrics } from "../types.js";
import { parseFile } from "./parse-file.js";

/** Analyzes one file's bytes: decode, parse once, then every per-file metric and finding. */
export function analyzeFile(parser: Parser, path: string, bytes: Uint8Array, hash: string): FileAnalysis {
  const parsed = parseFile(parser, path, bytes, hash);
  return parsed.state === "parsed" ? analyzeFlatTree(parsed.path, parsed.hash, parsed.tree) : parsed;
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
