import pc from "picocolors";
import type { AnalysisReport } from "./analysis-json.js";
import { complexityRank, topHotspots } from "./hotspots.js";

/** The human summary `pyagent analyze` prints on a terminal. */
export function toTerminalSummary(report: AnalysisReport): string {
  const { summary } = report;
  const lines: string[] = [];
  lines.push(pc.bold(`PyAgent analysis of ${report.root}`));
  lines.push(
    `  ${summary.files} files, ${summary.lines} lines, ${summary.functions} functions · average complexity ${summary.averageComplexity} · average MI ${summary.averageMi}` +
      pc.dim(` · ${summary.parsed} parsed, ${summary.reused} unchanged, ${(summary.milliseconds / 1000).toFixed(2)} s`),
  );
  lines.push("", pc.bold("Top complexity hotspots"));
  const hotspots = topHotspots(report, 10);
  if (hotspots.length === 0) lines.push("  (no functions)");
  for (const hotspot of hotspots) {
    const rank = complexityRank(hotspot.complexity);
    const colored = rank <= "B" ? pc.green(rank) : rank <= "C" ? pc.yellow(rank) : pc.red(rank);
    lines.push(`  ${String(hotspot.complexity).padStart(4)} ${colored}  ${hotspot.name}  ${pc.dim(`${hotspot.path}:${hotspot.line}`)}`);
  }
  lines.push("", pc.bold("Findings"));
  const rules = Object.entries(summary.findingsByRule).sort((a, b) => b[1] - a[1]);
  if (rules.length === 0) lines.push("  none");
  for (const [rule, count] of rules) lines.push(`  ${String(count).padStart(5)}  ${rule}`);
  if (report.cycles.length > 0) {
    lines.push("", pc.bold(`Import cycles (${report.cycles.length})`));
    for (const cycle of report.cycles.slice(0, 5)) lines.push(`  ${cycle.join(" -> ")} -> ${cycle[0]}`);
    if (report.cycles.length > 5) lines.push(pc.dim(`  ... and ${report.cycles.length - 5} more`));
  }
  if (report.errors.length > 0) {
    lines.push("", pc.bold(pc.yellow(`Not analyzed (${report.errors.length})`)));
    for (const error of report.errors.slice(0, 10)) lines.push(`  ${error.path}: ${error.message}`);
    if (report.errors.length > 10) lines.push(pc.dim(`  ... and ${report.errors.length - 10} more (see --format json)`));
  }
  lines.push("", pc.dim("Details: --format json|sarif|md|html [--output FILE]"));
  return lines.join("\n") + "\n";
}
