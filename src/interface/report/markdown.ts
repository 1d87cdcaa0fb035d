import type { AnalysisReport } from "./analysis-json.js";
import { complexityRank, maintainabilityRank, topHotspots } from "./hotspots.js";

function cell(text: string | number): string {
  return String(text).replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A Markdown report for pull-request comments and wikis. */
export function toMarkdown(report: AnalysisReport): string {
  const { summary } = report;
  const lines: string[] = [];
  lines.push(`# PyAgent analysis of \`${report.root}\``, "");
  lines.push(`${summary.files} files, ${summary.lines} lines, ${summary.functions} functions; average complexity ${summary.averageComplexity}, average maintainability index ${summary.averageMi}.`, "");
  lines.push("## Findings", "", "| rule | count |", "|---|---:|");
  const rules = Object.entries(summary.findingsByRule).sort((a, b) => b[1] - a[1]);
  for (const [rule, count] of rules) lines.push(`| ${rule} | ${count} |`);
  if (rules.length === 0) lines.push("| (none) | 0 |");
  lines.push("", "## Complexity hotspots", "", "| function | file | line | complexity | rank |", "|---|---|---:|---:|:-:|");
  for (const hotspot of topHotspots(report, 20)) {
    lines.push(`| \`${cell(hotspot.name)}\` | ${cell(hotspot.path)} | ${hotspot.line} | ${hotspot.complexity} | ${complexityRank(hotspot.complexity)} |`);
  }
  const leastMaintainable = [...report.files].sort((a, b) => a.mi - b.mi).slice(0, 10);
  lines.push("", "## Least maintainable modules", "", "| file | MI | rank | SLOC |", "|---|---:|:-:|---:|");
  for (const file of leastMaintainable) lines.push(`| ${cell(file.path)} | ${file.mi} | ${maintainabilityRank(file.mi)} | ${file.sloc} |`);
  if (report.cycles.length > 0) {
    lines.push("", "## Import cycles", "");
    for (const cycle of report.cycles) lines.push(`- ${cycle.map((module) => `\`${module}\``).join(" → ")} → \`${cycle[0]}\``);
  }
  lines.push("", "## All findings", "", "| file | line | rule | message | confidence |", "|---|---:|---|---|---:|");
  for (const finding of report.findings) {
    lines.push(`| ${cell(finding.path)} | ${finding.line} | ${finding.rule} | ${cell(finding.message)} | ${finding.confidence} |`);
  }
  if (report.errors.length > 0) {
    lines.push("", "## Files not analyzed", "", "| file | reason |", "|---|---|");
    for (const error of report.errors) lines.push(`| ${cell(error.path)} | ${cell(error.message)} |`);
  }
  return lines.join("\n") + "\n";
}
