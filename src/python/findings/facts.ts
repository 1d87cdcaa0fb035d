import type { AnalysisNode } from "../parse/flat-node.js";
import type { ModuleFacts } from "../types.js";
import { analyzeModule, type ModuleAnalysis } from "./walk.js";

/**
 * The walk's full result, kept for `localFindings` so that facts and findings of a file cost one
 * walk. Keyed by the facts object: a copy (after a worker's structured clone) simply walks again.
 */
const analyses = new WeakMap<ModuleFacts, { root: AnalysisNode; analysis: ModuleAnalysis }>();

/** Definitions, imports, used names and calls of one module, from one walk of its tree. */
export function extractFacts(root: AnalysisNode, source: string): ModuleFacts {
  const analysis = analyzeModule(root, source);
  analyses.set(analysis.facts, { root, analysis });
  return analysis.facts;
}

/** The walk behind `facts` when it was made from this same tree; otherwise a fresh walk. */
export function analysisFor(root: AnalysisNode, source: string, facts: ModuleFacts): ModuleAnalysis {
  const cached = analyses.get(facts);
  if (cached && cached.root.id === root.id && cached.root.tree === root.tree) return cached.analysis;
  return analyzeModule(root, source);
}
