// Benchmark: `pyagent improve` over a generated repository of 200 modules with a few hundred
// findings: changes proven per minute with --jobs 1 vs --jobs 2 (same repo, same run of this
// script), and the pipeline's own overhead per task (task wall time minus the target's checks).
// Usage: npm run build && node bench/improve-throughput.mjs [--changes N] [--modules N]
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describeMachine, median } from "./machine.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const changes = option("--changes", 60);
const modules = option("--modules", 200);
const bin = resolve(import.meta.dirname, "../bin/pyagent.js");
const python = ["/usr/bin/python3", "python3"].find((candidate) => {
  try {
    execFileSync(candidate, ["-m", "pytest", "--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
});
const agents = "unused-imports,unused-variables,dead-code";

/** Module i: two unused imports, an unused local in every third, unreachable code in every other. */
function moduleSource(index) {
  const lines = ["import os", "import json", "import re", "", ""];
  lines.push(`def compute_${index}(values):`, "    total = 0");
  if (index % 3 === 0) lines.push("    scratch = len(values)");
  lines.push("    for value in values:", "        total += value", "    return total + " + (index % 7));
  if (index % 2 === 0) lines.push("    print('unreachable')");
  lines.push("", "", `def name_${index}():`, `    return re.sub('x', 'y', 'module-${index}')`, "");
  return lines.join("\n");
}

function generate(root) {
  const write = (path, text) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write("gen/__init__.py", "");
  const tests = [];
  for (let index = 0; index < modules; index++) {
    const group = `g${Math.floor(index / 20)}`;
    if (index % 20 === 0) write(`gen/${group}/__init__.py`, "");
    write(`gen/${group}/m${index}.py`, moduleSource(index));
    if (index % 10 === 0) tests.push(`from gen.${group}.m${index} import compute_${index}, name_${index}`, "", "", `def test_m${index}():`, `    assert compute_${index}([1, 2]) == ${3 + (index % 7)}`, `    assert name_${index}() == 'module-${index}'.replace('x', 'y')`, "", "");
  }
  write("tests/test_gen.py", tests.join("\n"));
  const git = (...gitArgs) => execFileSync("git", gitArgs, { cwd: root, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "generated");
}

/** Runs improve, timestamping progress lines; returns the JSON report and the work-phase window. */
function improve(root, jobs) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, "improve", root, "--format", "json", "--python", python, "--agents", agents, "--jobs", String(jobs), "--max-changes", String(changes)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let workStart = 0;
    let workEnd = 0;
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => {
      const now = performance.now() - started;
      for (const line of chunk.toString().split("\n")) {
        if (line.startsWith("plan:")) workStart = now;
        if (/^(committed|failed|rejected|skipped) /.test(line)) workEnd = now;
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`improve --jobs ${jobs} exited ${code}`));
      resolvePromise({ report: JSON.parse(stdout), wall: (performance.now() - started) / 1000, work: (workEnd - workStart) / 1000 });
    });
  });
}

console.log(`machine: ${describeMachine()}; load average at start ${loadavg().map((value) => value.toFixed(1)).join(" ")}`);
const template = mkdtempSync(join(tmpdir(), "pyagent-bench-improve-"));
generate(template);
const analysis = JSON.parse(execFileSync(process.execPath, [bin, "analyze", template, "--format", "json", "--no-cache", "--store", mkdtempSync(join(tmpdir(), "pyagent-bench-store-"))], { encoding: "utf8", maxBuffer: 1 << 28 }));
const byRule = {};
for (const finding of analysis.findings) byRule[finding.rule] = (byRule[finding.rule] ?? 0) + 1;
console.log(`target: ${modules} modules, ${analysis.findings.length} findings (${Object.entries(byRule).map(([rule, count]) => `${count} ${rule}`).join(", ")}); agents ${agents}; --max-changes ${changes}; python ${python}`);

const rows = [];
for (const jobs of [1, 2]) {
  const root = `${template}-jobs${jobs}`;
  cpSync(template, root, { recursive: true });
  rmSync(join(root, ".pyagent"), { recursive: true, force: true });
  const { report, wall, work } = await improve(root, jobs);
  const committed = report.tasks.filter((task) => task.state === "committed");
  const done = report.tasks.filter((task) => task.milliseconds !== null);
  const overhead = done.map((task) => task.milliseconds - (task.checks ?? []).reduce((sum, check) => sum + check.milliseconds, 0));
  const checks = done.map((task) => (task.checks ?? []).reduce((sum, check) => sum + check.milliseconds, 0));
  rows.push({ jobs, committed: committed.length, attempted: done.length, wall, work, perMinute: (committed.length / work) * 60, overhead: median(overhead), checks: median(checks) });
  rmSync(root, { recursive: true, force: true });
}
rmSync(template, { recursive: true, force: true });

console.log("");
console.log("| jobs | tasks done | committed | wall s (whole run) | work phase s | changes proven / min (work phase) | median checks ms / task | median pipeline overhead ms / task |");
console.log("|---|---|---|---|---|---|---|---|");
for (const row of rows) {
  console.log(`| ${row.jobs} | ${row.attempted} | ${row.committed} | ${row.wall.toFixed(1)} | ${row.work.toFixed(1)} | ${row.perMinute.toFixed(1)} | ${row.checks.toFixed(0)} | ${row.overhead.toFixed(0)} |`);
}
console.log(`\n--jobs 2 vs --jobs 1: ${(rows[1].perMinute / rows[0].perMinute).toFixed(2)}x changes per minute; load average at end ${loadavg().map((value) => value.toFixed(1)).join(" ")}`);
