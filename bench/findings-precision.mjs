#!/usr/bin/env node
/**
 * Precision of analyze's dead-code findings against hand labels (bench/precision/<project>.tsv).
 *
 *   npm run build
 *   node bench/findings-precision.mjs boltons=/tmp/boltons sqlparse=/tmp/sqlparse [--min 90]
 *   node bench/findings-precision.mjs boltons=report.json      # score a saved `analyze --format json`
 *
 * For each project it runs `pyagent analyze DIR --format json --min-confidence 0 --no-cache` (a
 * temporary store, so the project folder is left as it was), keeps the dead-code rules
 * (unused-*, unreachable-code), and matches findings to labels by rule, path, line and symbol.
 * It prints precision at confidence >= min (labelled true / labelled), the findings reported
 * at that bar that have no label yet (label them, then re-run), and labelled findings no longer
 * reported. Exit code 1 when some finding at the bar is unlabelled, 0 otherwise.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = join(HERE, "..", "bin", "pyagent.js");
const DEAD_CODE = /^(unused-|unreachable-code$)/;

function usage(message) {
  process.stderr.write(`${message}\nusage: node bench/findings-precision.mjs PROJECT=DIR_OR_REPORT_JSON... [--min N]\n`);
  process.exit(2);
}

function parseArguments(argv) {
  const projects = [];
  let min = 90;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--min") {
      min = Number(argv[++index]);
      if (!Number.isFinite(min) || min < 0 || min > 100) usage("--min takes a number from 0 to 100");
    } else if (argument.includes("=")) {
      const [name, target] = [argument.slice(0, argument.indexOf("=")), argument.slice(argument.indexOf("=") + 1)];
      projects.push({ name, target: resolve(target) });
    } else usage(`unknown argument ${argument}`);
  }
  if (projects.length === 0) usage("name at least one PROJECT=DIR");
  return { projects, min };
}

function readLabels(name) {
  const file = join(HERE, "precision", `${name}.tsv`);
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    usage(`no labels for ${name}: ${file} does not exist`);
  }
  const [header, ...rows] = text.split("\n").filter((line) => line.trim() !== "");
  const columns = header.split("\t");
  const labels = new Map();
  for (const row of rows) {
    const cells = Object.fromEntries(row.split("\t").map((cell, index) => [columns[index], cell]));
    if (cells.label !== "true" && cells.label !== "false") usage(`${file}: label must be true or false in: ${row}`);
    labels.set(keyOf(cells), cells);
  }
  return labels;
}

function keyOf(finding) {
  return [finding.rule, finding.path, String(finding.line), finding.symbol ?? ""].join("\t");
}

function analyze(target) {
  if (statSync(target).isFile()) return JSON.parse(readFileSync(target, "utf8"));
  const store = mkdtempSync(join(tmpdir(), "pyagent-precision-"));
  try {
    const output = execFileSync(process.execPath, [BIN, "analyze", target, "--format", "json", "--min-confidence", "0", "--no-cache", "--no-progress", "--store", store], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    return JSON.parse(output);
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

function percent(part, whole) {
  return whole === 0 ? "n/a" : `${((100 * part) / whole).toFixed(1)}%`;
}

const { projects, min } = parseArguments(process.argv.slice(2));
let missing = 0;
const totals = { truePositives: 0, labelled: 0, reported: 0 };
const table = [`| project | dead-code findings (all) | at >= ${min} | labelled true at >= ${min} | precision at >= ${min} | unlabelled at >= ${min} |`, "|---|---:|---:|---:|---:|---:|"];
for (const { name, target } of projects) {
  const labels = readLabels(name);
  const report = analyze(target);
  const findings = report.findings.filter((finding) => DEAD_CODE.test(finding.rule));
  const atBar = findings.filter((finding) => finding.confidence >= min);
  const unlabelled = [];
  let truePositives = 0;
  let labelled = 0;
  for (const finding of atBar) {
    const label = labels.get(keyOf(finding));
    if (!label) unlabelled.push(finding);
    else {
      labelled++;
      if (label.label === "true") truePositives++;
    }
  }
  const reported = new Set(findings.map(keyOf));
  const gone = [...labels.values()].filter((label) => !reported.has(keyOf(label)));
  const newAnyConfidence = findings.filter((finding) => !labels.has(keyOf(finding)));
  process.stdout.write(`\n${name}: ${findings.length} dead-code findings, ${atBar.length} at >= ${min}; precision ${percent(truePositives, labelled)} (${truePositives}/${labelled} labelled true)\n`);
  for (const finding of atBar.filter((finding) => labels.get(keyOf(finding))?.label === "false")) {
    process.stdout.write(`  false at ${finding.confidence}: ${finding.rule} ${finding.path}:${finding.line} ${finding.symbol} (${labels.get(keyOf(finding)).reason})\n`);
  }
  for (const finding of newAnyConfidence) {
    process.stdout.write(`  unlabelled${finding.confidence >= min ? " AT THE BAR" : ""}: ${[finding.rule, finding.path, finding.line, finding.symbol, finding.confidence].join("\t")}\n`);
  }
  if (gone.length > 0) process.stdout.write(`  ${gone.length} labelled findings no longer reported (${gone.filter((label) => label.label === "false").length} of them labelled false)\n`);
  missing += unlabelled.length;
  totals.truePositives += truePositives;
  totals.labelled += labelled;
  totals.reported += atBar.length;
  table.push(`| ${name} | ${findings.length} | ${atBar.length} | ${truePositives} | ${percent(truePositives, labelled)} | ${unlabelled.length} |`);
}
table.push(`| all | | ${totals.reported} | ${totals.truePositives} | ${percent(totals.truePositives, totals.labelled)} | ${missing} |`);
process.stdout.write(`\n${table.join("\n")}\n`);
process.exitCode = missing > 0 ? 1 : 0;
