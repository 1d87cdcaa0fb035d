import type { AnalysisReport } from "./analysis-json.js";

export interface Hotspot {
  path: string;
  name: string;
  kind: string;
  line: number;
  complexity: number;
}

/** The most complex functions and methods of the report, most complex first. */
export function topHotspots(report: AnalysisReport, count: number): Hotspot[] {
  const all: Hotspot[] = [];
  for (const file of report.files) {
    for (const block of file.functions) {
      if (block.kind !== "class") all.push({ path: file.path, name: block.name, kind: block.kind, line: block.line, complexity: block.complexity });
    }
  }
  return all.sort((a, b) => b.complexity - a.complexity || (a.path < b.path ? -1 : 1) || a.line - b.line).slice(0, count);
}

/** radon's letter rank of a complexity score (A 1-5, B 6-10, C 11-20, D 21-30, E 31-40, F 41+). */
export function complexityRank(complexity: number): string {
  if (complexity <= 5) return "A";
  if (complexity <= 10) return "B";
  if (complexity <= 20) return "C";
  if (complexity <= 30) return "D";
  if (complexity <= 40) return "E";
  return "F";
}

/** radon's maintainability rank (A > 19, B 10-19, C <= 9). */
export function maintainabilityRank(mi: number): string {
  if (mi > 19) return "A";
  if (mi > 9) return "B";
  return "C";
}
