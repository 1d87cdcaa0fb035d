import type { ProjectAnalysis } from "../../python/index.js";

/** The documented JSON shape of `pyagent analyze --format json` (see README, "JSON output"). */
export interface AnalysisReport {
  root: string;
  files: Array<{
    path: string;
    module: string;
    loc: number;
    lloc: number;
    sloc: number;
    comments: number;
    multi: number;
    blank: number;
    singleComments: number;
    mi: number;
    halstead: { volume: number; difficulty: number; effort: number; bugs: number };
    functions: Array<{ name: string; kind: "function" | "method" | "class"; line: number; endLine: number; complexity: number }>;
  }>;
  findings: Array<{ rule: string; path: string; line: number; endLine?: number; message: string; confidence: number; symbol?: string }>;
  cycles: string[][];
  errors: Array<{ path: string; message: string }>;
  summary: {
    files: number;
    functions: number;
    lines: number;
    findingsByRule: Record<string, number>;
    averageComplexity: number;
    averageMi: number;
    parsed: number;
    reused: number;
    milliseconds: number;
  };
}

export function toAnalysisReport(analysis: ProjectAnalysis): AnalysisReport {
  const findingsByRule: Record<string, number> = {};
  for (const finding of analysis.findings) findingsByRule[finding.rule] = (findingsByRule[finding.rule] ?? 0) + 1;
  let functions = 0;
  let complexitySum = 0;
  let lines = 0;
  let miSum = 0;
  const files = analysis.files.map((file) => {
    const { raw, halstead, mi, blocks } = file.metrics;
    lines += raw.loc;
    miSum += mi;
    for (const block of blocks) {
      if (block.kind === "class") continue;
      functions++;
      complexitySum += block.complexity;
    }
    return {
      path: file.path,
      module: file.module,
      loc: raw.loc,
      lloc: raw.lloc,
      sloc: raw.sloc,
      comments: raw.comments,
      multi: raw.multi,
      blank: raw.blank,
      singleComments: raw.singleComments,
      mi: round(mi, 2),
      halstead: { volume: round(halstead.volume, 2), difficulty: round(halstead.difficulty, 2), effort: round(halstead.effort, 2), bugs: round(halstead.bugs, 3) },
      functions: blocks.map((block) => ({ name: block.name, kind: block.kind, line: block.line, endLine: block.endLine, complexity: block.complexity })),
    };
  });
  return {
    root: analysis.root,
    files,
    findings: analysis.findings.map((finding) => ({ ...finding })),
    cycles: analysis.cycles,
    errors: analysis.errors,
    summary: {
      files: files.length,
      functions,
      lines,
      findingsByRule,
      averageComplexity: functions ? round(complexitySum / functions, 2) : 0,
      averageMi: files.length ? round(miSum / files.length, 2) : 0,
      parsed: analysis.stats.parsed,
      reused: analysis.stats.reused,
      milliseconds: Math.round(analysis.stats.milliseconds),
    },
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
