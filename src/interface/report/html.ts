import type { ProjectGraph } from "../../python/index.js";
import type { AnalysisReport } from "./analysis-json.js";
import { complexityRank, topHotspots } from "./hotspots.js";
import { layoutModuleGraph } from "./module-layout.js";

function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const RANK_COLORS: Record<string, string> = { A: "#2e9e5b", B: "#7cb342", C: "#f2b01e", D: "#f57c00", E: "#e64a19", F: "#b71c1c" };

/** Histogram of function complexity by radon rank, as an SVG bar chart. */
function complexityChart(report: AnalysisReport): string {
  const counts: Record<string, number> = { A: 0, B: 0, C: 0, D: 0, E: 0, F: 0 };
  for (const file of report.files) for (const block of file.functions) if (block.kind !== "class") counts[complexityRank(block.complexity)]!++;
  const max = Math.max(1, ...Object.values(counts));
  const width = 420;
  const height = 200;
  const barWidth = 50;
  const bars = Object.entries(counts).map(([rank, count], index) => {
    const barHeight = Math.round((count / max) * (height - 50));
    const x = 20 + index * (barWidth + 15);
    const y = height - 25 - barHeight;
    return `<g><rect x="${x}" y="${y}" width="${barWidth}" height="${barHeight}" fill="${RANK_COLORS[rank]}"><title>${rank}: ${count} functions</title></rect>` +
      `<text x="${x + barWidth / 2}" y="${height - 8}" text-anchor="middle">${rank}</text>` +
      `<text x="${x + barWidth / 2}" y="${y - 4}" text-anchor="middle" class="value">${count}</text></g>`;
  });
  return `<svg id="complexity-chart" role="img" aria-label="Complexity distribution" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${bars.join("")}</svg>`;
}

/**
 * The most complex functions as a table of horizontal bars. Names and paths are HTML text that
 * wraps, never cut: a qualified name (`Class.method.closure`) is what the reader came for.
 */
function hotspotChart(report: AnalysisReport): string {
  const hotspots = topHotspots(report, 15);
  const max = Math.max(1, ...hotspots.map((hotspot) => hotspot.complexity));
  const barArea = 200;
  const rows = hotspots.map((hotspot) => {
    const barWidth = Math.max(2, Math.round((hotspot.complexity / max) * (barArea - 30)));
    const bar =
      `<svg width="${barArea}" height="16" role="img" aria-label="complexity ${hotspot.complexity}"><rect x="0" y="1" width="${barWidth}" height="14" fill="${RANK_COLORS[complexityRank(hotspot.complexity)]}"></rect>` +
      `<text x="${barWidth + 4}" y="13" class="value">${hotspot.complexity}</text></svg>`;
    return `<tr><td class="name"><code>${escapeHtml(hotspot.name)}</code><div class="where">${escapeHtml(hotspot.path)}:${hotspot.line}</div></td><td class="bar">${bar}</td></tr>`;
  });
  return `<table id="hotspot-chart" aria-label="Complexity hotspots"><thead><tr><th>function</th><th>complexity</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** The module's last dotted part (`pkg.sub.core` → `core`): short enough to label a node. */
function shortModuleName(name: string): string {
  return name.slice(name.lastIndexOf(".") + 1) || name;
}

/**
 * The internal import graph of the most connected modules, each node labelled with its module's
 * last name part (the full name on hover and in the list below); cycle members in red.
 */
function moduleGraphChart(graph: ProjectGraph, cycles: string[][]): string {
  const inCycle = new Set(cycles.flat());
  const layout = layoutModuleGraph(graph, 120);
  const size = 640;
  const edges = layout.edges.map(([from, to]) => {
    const a = layout.nodes[from]!;
    const b = layout.nodes[to]!;
    return `<line x1="${a.x.toFixed(1)}" y1="${a.y.toFixed(1)}" x2="${b.x.toFixed(1)}" y2="${b.y.toFixed(1)}"></line>`;
  });
  const nodes = layout.nodes.map((node) => {
    const radius = 3 + Math.min(9, Math.sqrt(node.degree) * 1.5);
    // Labels right of nodes on the left half and left of nodes on the right half stay inside the picture.
    const right = node.x < size / 2;
    const labelX = right ? node.x + radius + 2 : node.x - radius - 2;
    const title = `<title>${escapeHtml(node.name)} (${node.degree} import edges)</title>`;
    return `<g class="node">${title}<circle cx="${node.x.toFixed(1)}" cy="${node.y.toFixed(1)}" r="${radius.toFixed(1)}" class="${inCycle.has(node.name) ? "cycle" : "module"}"></circle>` +
      `<text x="${labelX.toFixed(1)}" y="${(node.y + 3).toFixed(1)}" text-anchor="${right ? "start" : "end"}" class="label">${escapeHtml(shortModuleName(node.name))}</text></g>`;
  });
  const list = layout.nodes
    .map((node) => `<li${inCycle.has(node.name) ? ' class="cycle"' : ""}><code>${escapeHtml(node.name)}</code> <span class="where">${node.degree} import edges${inCycle.has(node.name) ? ", in a cycle" : ""}</span></li>`)
    .join("");
  return `<svg id="module-graph" role="img" aria-label="Module import graph" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}"><g class="edges">${edges.join("")}</g><g>${nodes.join("")}</g></svg>` +
    (layout.nodes.length > 0 ? `<details id="module-list" open><summary>Modules in the graph, most connected first</summary><ol>${list}</ol></details>` : "");
}

/** One self-contained HTML page (no external scripts, styles or fonts) with charts and tables. */
export function toHtml(report: AnalysisReport, graph: ProjectGraph): string {
  const { summary } = report;
  const findingRows = report.findings
    .map((finding) => `<tr data-rule="${escapeHtml(finding.rule)}"><td>${escapeHtml(finding.path)}</td><td class="num">${finding.line}</td><td>${escapeHtml(finding.rule)}</td><td>${escapeHtml(finding.message)}</td><td class="num">${finding.confidence}</td></tr>`)
    .join("\n");
  const ruleOptions = Object.keys(summary.findingsByRule).sort().map((rule) => `<option value="${escapeHtml(rule)}">${escapeHtml(rule)} (${summary.findingsByRule[rule]})</option>`).join("");
  const fileRows = [...report.files]
    .sort((a, b) => a.mi - b.mi)
    .slice(0, 200)
    .map((file) => `<tr><td>${escapeHtml(file.path)}</td><td class="num">${file.sloc}</td><td class="num">${file.mi}</td><td class="num">${Math.max(0, ...file.functions.map((block) => block.complexity))}</td></tr>`)
    .join("\n");
  const errorRows = report.errors.map((error) => `<tr><td>${escapeHtml(error.path)}</td><td>${escapeHtml(error.message)}</td></tr>`).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>PyAgent analysis — ${escapeHtml(report.root)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:16px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#b9c0cc}
main{padding:20px 28px;display:grid;gap:20px;grid-template-columns:repeat(auto-fit,minmax(460px,1fr))}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:14px 18px;overflow:auto}section.wide{grid-column:1/-1}
h2{font-size:16px;margin:0 0 10px}.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#f0f3f8;border-radius:6px;padding:8px 14px}.card b{display:block;font-size:20px}
svg text{font-size:11px;fill:#333}svg text.value{fill:#555}#module-graph line{stroke:#b8c2d0;stroke-width:.7}circle.module{fill:#3d6fd8}circle.cycle{fill:#d32f2f}
#module-graph text.label{font-size:9px;fill:#1d2330;paint-order:stroke;stroke:#fff;stroke-width:2px}
#hotspot-chart td.name{overflow-wrap:anywhere;word-break:break-word}#hotspot-chart td.bar{width:200px}.where{color:#667;font-size:12px;overflow-wrap:anywhere}
#module-list ol{columns:3 220px;margin:6px 0 0;padding-left:28px}#module-list li.cycle code{color:#d32f2f}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eceef2;padding:4px 8px;text-align:left;vertical-align:top}td.num,th.num{text-align:right}
select{margin-bottom:8px}
</style></head>
<body>
<header><h1>PyAgent analysis</h1><p>${escapeHtml(report.root)}</p></header>
<main>
<section class="wide"><h2>Summary</h2><div class="cards">
<div class="card"><b id="files-count">${summary.files}</b>files</div>
<div class="card"><b>${summary.lines}</b>lines</div>
<div class="card"><b>${summary.functions}</b>functions</div>
<div class="card"><b>${summary.averageComplexity}</b>average complexity</div>
<div class="card"><b>${summary.averageMi}</b>average maintainability</div>
<div class="card"><b id="findings-count">${report.findings.length}</b>findings</div>
<div class="card"><b>${report.cycles.length}</b>import cycles</div>
<div class="card"><b>${report.errors.length}</b>files not analyzed</div>
</div></section>
<section><h2>Complexity distribution (radon ranks)</h2>${complexityChart(report)}</section>
<section><h2>Hotspots</h2>${hotspotChart(report)}</section>
<section class="wide"><h2>Module import graph</h2>${moduleGraphChart(graph, report.cycles)}</section>
<section class="wide"><h2>Findings</h2>
<select id="rule-filter" aria-label="Filter by rule"><option value="">all rules</option>${ruleOptions}</select>
<table id="findings"><thead><tr><th>file</th><th class="num">line</th><th>rule</th><th>message</th><th class="num">confidence</th></tr></thead><tbody>
${findingRows}
</tbody></table></section>
<section class="wide"><h2>Least maintainable files</h2><table><thead><tr><th>file</th><th class="num">SLOC</th><th class="num">MI</th><th class="num">max complexity</th></tr></thead><tbody>
${fileRows}
</tbody></table></section>
${report.errors.length ? `<section class="wide"><h2>Files not analyzed</h2><table id="errors"><tbody>${errorRows}</tbody></table></section>` : ""}
</main>
<script>
document.getElementById("rule-filter").addEventListener("change", function (event) {
  var rule = event.target.value; var shown = 0;
  document.querySelectorAll("#findings tbody tr").forEach(function (row) {
    var visible = !rule || row.getAttribute("data-rule") === rule; row.style.display = visible ? "" : "none"; if (visible) shown++;
  });
  document.getElementById("findings-count").textContent = String(shown);
});
</script>
</body></html>
`;
}
