import { analyzeComplexity } from "../metrics/complexity.js";
import { computeHalstead } from "../metrics/halstead.js";
import { maintainabilityIndex } from "../metrics/maintainability.js";
import { computeRawMetrics, RawMetricsError } from "../metrics/raw.js";
import type { FlatTree } from "../parse/flat-tree.js";
import type { FileAnalysis } from "../types.js";

export type FileMetrics = Extract<FileAnalysis, { state: "ok" }>["metrics"];

/** A file's radon metrics, or why radon would give up on it. */
export type MeasuredFile = { state: "measured"; metrics: FileMetrics } | { state: "error"; message: string };

/** Raw metrics, Halstead, complexity and maintainability index of a parsed file: the metrics half of an analysis. */
export function measureFile(flat: FlatTree): MeasuredFile {
  const source = flat.source;
  const root = flat.rootNode;
  let raw: FileMetrics["raw"];
  try {
    raw = computeRawMetrics(source);
  } catch (error) {
    // radon gives up on these files too (tokens Python's tokenizer refuses that tree-sitter accepts).
    if (error instanceof RawMetricsError) return { state: "error", message: `syntax error: ${error.message}` };
    throw error;
  }
  const halstead = computeHalstead(root, source);
  const { blocks, total, closures } = analyzeComplexity(root);
  const mi = maintainabilityIndex({ halsteadVolume: halstead.volume, totalComplexity: total, raw });
  // The blocks plain `radon cc` lists, then the nested functions (`radon cc -j`'s closures).
  return { state: "measured", metrics: { raw, halstead, mi, blocks: [...blocks, ...closures] } };
}
