// Benchmark: `pyagent analyze` over the Python 3.11 standard library vs radon cc and vulture on the
// same tree, in the same run. Usage: npm run build && node bench/analyze-stdlib.mjs [DIR] [--runs N]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describeMachine, median } from "./machine.mjs";

const args = process.argv.slice(2);
const runsIndex = args.indexOf("--runs");
const runs = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 5;
const target = resolve(args.find((arg, index) => !arg.startsWith("--") && args[index - 1] !== "--runs") ?? "/usr/lib/python3.11");
const bin = resolve(import.meta.dirname, "../bin/pyagent.js");

function timed(command, commandArgs) {
  const started = performance.now();
  const result = spawnSync(command, commandArgs, { encoding: "utf8", maxBuffer: 1 << 30 });
  const seconds = (performance.now() - started) / 1000;
  if (result.error) throw result.error;
  return { seconds, stdout: result.stdout, status: result.status };
}

function available(command) {
  return spawnSync("which", [command]).status === 0;
}

console.log(`machine: ${describeMachine()}`);
console.log(`target:  ${target}, ${runs} runs each, medians reported`);

const cold = [];
const warm = [];
let summary;
for (let run = 0; run < runs; run++) {
  const store = mkdtempSync(join(tmpdir(), "pyagent-bench-store-"));
  const first = timed(process.execPath, [bin, "analyze", target, "--format", "json", "--store", store, "--no-progress"]);
  if (first.status !== 0) throw new Error(`pyagent analyze failed with ${first.status}`);
  cold.push(first.seconds);
  summary = JSON.parse(first.stdout).summary;
  const second = timed(process.execPath, [bin, "analyze", target, "--format", "json", "--store", store, "--no-progress"]);
  warm.push(second.seconds);
  rmSync(store, { recursive: true, force: true });
}
console.log(`files: ${summary.files}, lines: ${summary.lines}, functions: ${summary.functions}`);

const rows = [
  ["pyagent analyze (all metrics + findings + graph), cold", median(cold)],
  ["pyagent analyze, warm re-run, nothing changed", median(warm)],
];
let radonSeconds;
if (available("radon")) {
  const times = [];
  for (let run = 0; run < Math.min(runs, 3); run++) times.push(timed("radon", ["cc", "-j", target]).seconds);
  radonSeconds = median(times);
  rows.push(["radon cc -j (complexity only)", radonSeconds]);
}
let vultureSeconds;
if (available("vulture")) {
  const times = [];
  for (let run = 0; run < Math.min(runs, 3); run++) times.push(timed("vulture", [target]).seconds);
  vultureSeconds = median(times);
  rows.push(["vulture (unused code only)", vultureSeconds]);
}
console.log("");
for (const [name, seconds] of rows) console.log(`${name.padEnd(58)} ${seconds.toFixed(3).padStart(8)} s`);
console.log("");
if (radonSeconds) console.log(`ratio radon cc / pyagent cold:   ${(radonSeconds / median(cold)).toFixed(2)}x (goal > 1)`);
if (vultureSeconds) console.log(`ratio vulture / pyagent cold:    ${(vultureSeconds / median(cold)).toFixed(2)}x`);
console.log(`warm re-run: ${median(warm).toFixed(3)} s (goal < 0.5 s)`);
