// Benchmark: what the proof sandbox costs per check. The sqlparse corpus project (its own pytest
// suite) is proven in a worktree under `.pyagent/worktrees` as a run does it, with `--sandbox off`
// and with bubblewrap, interleaved (off, bwrap, off, bwrap, ...) so machine load hits both alike;
// also `python -c pass` (the fixed cost of one sandboxed process) and compileall of every file.
// Usage: npx tsx bench/sandbox-cost.ts [--repeats N] [--corpus ../shared/corpus/sqlparse-*.tar.gz]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCompileall, trackedPythonFiles, type CheckEnvironment } from "../src/fleet/checks.js";
import { runProcess } from "../src/fleet/process.js";
import { prepareSandbox } from "../src/fleet/sandbox.js";
import { chooseTestCommand } from "../src/fleet/test-proof.js";
import { failingIds, runTests } from "../src/fleet/test-run.js";
import { describeMachine, median } from "./machine.mjs";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const repeats = Number(option("--repeats", "5"));
// @ts-expect-error: a plain ES module shared with the other benchmarks (no type declarations)
const { CORPUS: corpusFolder } = await import("./real-projects/core.mjs");
const corpus = option("--corpus", join(corpusFolder, readdirSync(corpusFolder).find((name) => name.startsWith("sqlparse"))!));
const python = "/usr/bin/python3";

const root = mkdtempSync(join(tmpdir(), "pyagent-sandbox-cost-"));
try {
  execFileSync("tar", ["-xzf", corpus, "-C", root, "--strip-components=1"]);
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: root });
  execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "add", "-A"], { cwd: root });
  execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "corpus"], { cwd: root });
  const tree = join(root, ".pyagent", "worktrees", "bench", "task-1");
  mkdirSync(join(tree, ".."), { recursive: true });
  execFileSync("git", ["worktree", "add", "-q", "--detach", tree, "HEAD"], { cwd: root });
  const pycacheDir = join(root, ".pyagent", "pycache");
  mkdirSync(pycacheDir, { recursive: true });
  const limits = { cpuSeconds: 1800, memoryMb: 8192, processes: 512, fileMb: 1024, tmpMb: 1024 };
  const bwrap = await prepareSandbox({ mode: "bwrap", root, python, pycacheDir, allowEnv: [], limits });
  const off = await prepareSandbox({ mode: "off", root, python, pycacheDir, allowEnv: [], limits });
  const environment = (sandbox: typeof bwrap): CheckEnvironment => ({ python, timeoutMs: 600_000, pycacheDir, sandbox });
  const files = await trackedPythonFiles(tree);

  // The project's own test command, counted by node id as a proof runs it. Warm the shared
  // bytecode cache as a baseline does (unsandboxed writes allowed), once.
  const { command } = await chooseTestCommand(tree, environment(off));
  await runTests(tree, command, environment(off));

  const measures: Array<{ name: string; run: (sandbox: typeof bwrap) => Promise<number> }> = [
    { name: "python -c pass", run: async (sandbox) => (await runProcess(python, ["-c", "pass"], { cwd: tree, sandbox, env: process.env })).milliseconds },
    { name: `compileall (${files.length} files)`, run: async (sandbox) => (await runCompileall(tree, files, environment(sandbox))).milliseconds },
    { name: "pytest (sqlparse suite)", run: async (sandbox) => {
      const started = performance.now();
      const run = await runTests(tree, command, environment(sandbox));
      const failing = failingIds(run);
      if (failing.length > 0) throw new Error(`tests failed: ${failing.slice(0, 5).join(", ")}`);
      return performance.now() - started;
    } },
  ];
  console.log(`machine: ${describeMachine()}`);
  console.log(`sandbox: ${bwrap.description}`);
  console.log(`${repeats} interleaved runs each, median wall time:`);
  console.log("| check | --sandbox off | bwrap | cost |");
  console.log("|---|---|---|---|");
  for (const measure of measures) {
    const times = { off: [] as number[], bwrap: [] as number[] };
    for (let round = 0; round < repeats; round++) {
      times.off.push(await measure.run(off));
      times.bwrap.push(await measure.run(bwrap));
    }
    const a = median(times.off);
    const b = median(times.bwrap);
    console.log(`| ${measure.name} | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(b - a).toFixed(0)} ms (${((b / a - 1) * 100).toFixed(1)}%) |`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
