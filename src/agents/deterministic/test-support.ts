/** Builds the `ProjectAnalysis` shape the agents plan from, for tests that give the findings explicitly. */
import type { AnalyzedFile, Finding, ProjectAnalysis } from "../../python/index.js";

export function analysisOf(files: Record<string, { module?: string; lines?: number; imports?: AnalyzedFile["facts"]["imports"] }>, findings: Finding[]): ProjectAnalysis {
  const analyzed: AnalyzedFile[] = Object.entries(files).map(([path, file]) => ({
    state: "ok",
    path,
    hash: "0",
    lines: file.lines ?? 10,
    module: file.module ?? path.replace(/(\/__init__)?\.py$/, "").replace(/\//g, "."),
    isPackage: path.endsWith("__init__.py"),
    metrics: {
      raw: { loc: 0, lloc: 0, sloc: 0, comments: 0, multi: 0, blank: 0, singleComments: 0 },
      halstead: { h1: 0, h2: 0, N1: 0, N2: 0, vocabulary: 0, length: 0, calculatedLength: 0, volume: 0, difficulty: 0, effort: 0, time: 0, bugs: 0 },
      mi: 100,
      blocks: [],
    },
    findings: findings.filter((finding) => finding.path === path),
    facts: { definitions: [], imports: file.imports ?? [], usedNames: [], calls: [], dunderAll: null },
  }));
  return { root: "/repo", files: analyzed, findings, cycles: [], errors: [], seenPaths: Object.keys(files), projectResults: { digest: "", findings: [], cycles: [], reexportedImports: [] }, stats: { discovered: 0, parsed: 0, reused: 0, milliseconds: 0 } };
}

export function finding(rule: Finding["rule"], path: string, line: number, symbol?: string): Finding {
  return { rule, path, line, message: `${rule} ${symbol ?? ""}`.trim(), confidence: 90, ...(symbol === undefined ? {} : { symbol }) };
}
