// Benchmark: `pyagent analyze` over the Python 3.11 standard library vs radon cc and vulture on the
// same tree, in the same run (the tools take turns, round by round). Usage:
// npm run build && node bench/analyze-stdlib.mjs [DIR] [--runs N]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describeMachine, median } from "./machine.mjs";

const args = process.argv.slice(2);
const runsIndex = args.indexOf("--runs");
const runs = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 5;
const target = resolve(args.find((arg, index) => !arg.startsWith("--") && args[index - 1] !== "--runs") ?? "/usr/lib/python3.11");
const bin = resolve(import.meta.dirname, "../bin/pyagent.js");

const hasTime = existsSync("/usr/bin/time");

/** Wall seconds, and CPU seconds (user + system, all threads) when /usr/bin/time is there. */
function timed(command, commandArgs) {
  const started = performance.now();
  const [file, fileArgs] = hasTime ? ["/usr/bin/time", ["-f", "cpu-seconds %U %S", command, ...commandArgs]] : [command, commandArgs];
  const result = spawnSync(file, fileArgs, { encoding: "utf8", maxBuffer: 1 << 30 });
  const seconds = (performance.now() - started) / 1000;
  if (result.error) throw result.error;
  const cpu = /cpu-seconds ([\d.]+) ([\d.]+)/.exec(result.stderr ?? "");
  return { seconds, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN, stdout: result.stdout, status: result.status };
}

function available(command) {
  return spawnSync("which", [command]).status === 0;
}

console.log(`machine: ${describeMachine()}`);
console.log(`target:  ${target}, ${runs} rounds, medians reported; load average at start ${loadavg().map((load) => load.toFixed(2)).join(" ")}`);

// Each round runs every tool once, back to back, so that load from other jobs on a shared machine
// falls on all of them alike; the per-round ratio (same round) is the fairer comparison.
const hasRadon = available("radon");
const hasVulture = available("vulture");
const cold = [];
const coldCpu = [];
const warm = [];
const radon = [];
const radonCpu = [];
const vulture = [];
const roundRatios = [];
let summary;
for (let run = 0; run < runs; run++) {
  const store = mkdtempSync(join(tmpdir(), "pyagent-bench-store-"));
  const first = timed(process.execPath, [bin, "analyze", target, "--format", "json", "--store", store, "--no-progress"]);
  if (first.status !== 0) throw new Error(`pyagent analyze failed with ${first.status}`);
  cold.push(first.seconds);
  coldCpu.push(first.cpuSeconds);
  summary = JSON.parse(first.stdout).summary;
  const second = timed(process.execPath, [bin, "analyze", target, "--format", "json", "--store", store, "--no-progress"]);
  warm.push(second.seconds);
  rmSync(store, { recursive: true, force: true });
  if (hasRadon) {
    const radonRun = timed("radon", ["cc", "-j", target]);
    radon.push(radonRun.seconds);
    radonCpu.push(radonRun.cpuSeconds);
    roundRatios.push(radon[radon.length - 1] / first.seconds);
  }
  if (hasVulture) vulture.push(timed("vulture", [target]).seconds);
  const last = hasRadon ? `, radon cc ${radon[radon.length - 1].toFixed(3)} s (cpu ${radonCpu[radonCpu.length - 1].toFixed(2)} s)` : "";
  console.log(`round ${run + 1}: pyagent cold ${first.seconds.toFixed(3)} s (cpu ${first.cpuSeconds.toFixed(2)} s), warm ${second.seconds.toFixed(3)} s${last}`);
}
console.log(`files: ${summary.files}, lines: ${summary.lines}, functions: ${summary.functions}`);

const rows = [
  ["pyagent analyze (all metrics + findings + graph), cold", median(cold)],
  ["pyagent analyze, warm re-run, nothing changed", median(warm)],
];
if (hasRadon) rows.push(["radon cc -j (complexity only)", median(radon)]);
if (hasVulture) rows.push(["vulture (unused code only)", median(vulture)]);
console.log("");
for (const [name, seconds] of rows) console.log(`${name.padEnd(58)} ${seconds.toFixed(3).padStart(8)} s`);
console.log("");
if (hasRadon) {
  console.log(`ratio radon cc / pyagent cold:   ${(median(radon) / median(cold)).toFixed(2)}x (goal > 1); median of per-round ratios ${median(roundRatios).toFixed(2)}x`);
}
if (hasRadon) console.log(`cpu time (user + sys, all threads), medians: pyagent cold ${median(coldCpu).toFixed(2)} s, radon cc ${median(radonCpu).toFixed(2)} s`);
if (hasVulture) console.log(`ratio vulture / pyagent cold:    ${(median(vulture) / median(cold)).toFixed(2)}x`);
console.log(`warm re-run: ${median(warm).toFixed(3)} s (goal < 0.5 s)`);
console.log(`load average at end: ${loadavg().map((load) => load.toFixed(2)).join(" ")}`);
