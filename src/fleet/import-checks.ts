import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { measureImportTime, runPythonProbe, type CheckEnvironment } from "./checks.js";
import type { CheckResult } from "./types.js";

/**
 * The import-level proofs of changes that move code between or inside modules (lazy-imports,
 * split-module). Each compares the tree before the change with the tree after it, side by side:
 * import times are sampled in interleaved rounds (before, after, after, before, ...) so that load
 * on the machine hits both alike, and a decision rests on a confidence bound, not on one pair of
 * runs, so the same repository gives the same answer run after run.
 */

/** Interleaved rounds per comparison: with 9, the second-smallest paired difference bounds the median at 98%. */
export const IMPORT_ROUNDS = 9;

/** A copy of `tree` without its `.git` (the state before a change, to measure beside the changed tree); `remove` deletes it. */
export function snapshotTree(tree: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), "pyagent-before-"));
  const gitEntry = join(tree, ".git");
  cpSync(tree, path, { recursive: true, filter: (source) => source !== gitEntry });
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface ImportSamples {
  /** Microseconds, cumulative import time of the module, one per round. */
  before: number[];
  after: number[];
}

/** `rounds` interleaved measurements of `module` in both trees, after one unmeasured import in each (it writes the bytecode). */
export async function interleavedImportTimes(
  beforeTree: string,
  afterTree: string,
  module: string,
  environment: CheckEnvironment,
  rounds = IMPORT_ROUNDS,
): Promise<ImportSamples | { error: string; tree: "before" | "after" }> {
  const samples: ImportSamples = { before: [], after: [] };
  const measure = async (side: "before" | "after"): Promise<string | undefined> => {
    const result = await measureImportTime(side === "before" ? beforeTree : afterTree, module, environment, 1);
    if ("error" in result) return result.error;
    samples[side].push(result.microseconds);
    return undefined;
  };
  for (const side of ["before", "after"] as const) {
    const error = await measure(side);
    if (error !== undefined) return { error, tree: side };
  }
  samples.before = [];
  samples.after = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const);
    for (const side of order) {
      const error = await measure(side);
      if (error !== undefined) return { error, tree: side };
    }
  }
  return samples;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * A distribution-free lower confidence bound for the median of `differences` (the sign test's):
 * the k-th smallest, with k the largest for which P(Binomial(n, 1/2) < k) <= 1 - confidence.
 * With too few values for that confidence, the smallest.
 */
export function medianLowerBound(differences: readonly number[], confidence = 0.95): number {
  const sorted = [...differences].sort((a, b) => a - b);
  const n = sorted.length;
  let k = 1;
  let below = 0; // P(Binomial(n, 1/2) <= k - 1)
  let choose = 1; // C(n, k - 1)
  for (let candidate = 1; candidate <= n; candidate++) {
    below += choose / 2 ** n;
    if (below > 1 - confidence) break;
    k = candidate;
    choose = (choose * (n - candidate + 1)) / candidate;
  }
  return sorted[Math.min(k, n) - 1] ?? Number.NEGATIVE_INFINITY;
}

const ms = (microseconds: number) => (microseconds / 1000).toFixed(1);

export type LazyImportDecision = { state: "keep"; check: CheckResult } | { state: "skip"; reason: string } | { state: "fail"; check: CheckResult };

/**
 * Whether moving `loaded` into functions is worth a commit: importing `module` must not load it
 * any more (another module may import it anyway), it must not be loaded at interpreter start-up,
 * and the saving must be at least `minimumMs` at 95% confidence over interleaved rounds (and between
 * the best runs): the moved import's own cost in this project.
 */
export async function lazyImportDecision(
  beforeTree: string,
  afterTree: string,
  requirement: { module: string; minimumMs?: number; loaded?: string },
  environment: CheckEnvironment,
): Promise<LazyImportDecision> {
  const started = performance.now();
  const { module, loaded } = requirement;
  const failed = (summary: string, output: string): LazyImportDecision => ({
    state: "fail",
    check: { check: "import", status: "fail", failures: [`import ${module}`], summary, milliseconds: performance.now() - started, output },
  });
  if (loaded !== undefined) {
    const probe = await runPythonProbe(afterTree, `import sys\nat_start = ${JSON.stringify(loaded)} in sys.modules\n__import__(sys.argv[1])\nprint(at_start, ${JSON.stringify(loaded)} in sys.modules)`, [module], environment);
    if ("error" in probe) {
      // A script outside any package (`benchmarks/_harness.py`) does not import from the root at all: nothing to measure.
      const before = await runPythonProbe(beforeTree, `__import__(${JSON.stringify(module)})`, [], environment);
      if ("error" in before) return { state: "skip", reason: `${module} does not import from the repository root, so its import time cannot be measured` };
      return failed(`import ${module} fails`, probe.error);
    }
    // The last line is the probe's (the module itself may print while it imports).
    const [atStart, stillLoaded] = (probe.stdout.trim().split("\n").pop() ?? "").split(" ");
    if (atStart === "True") return { state: "skip", reason: `${loaded} is loaded at interpreter start-up: importing it lazily saves nothing` };
    if (stillLoaded === "True") return { state: "skip", reason: `importing ${module} still loads ${loaded} (another module imports it): importing it lazily here saves nothing` };
  }
  const samples = await interleavedImportTimes(beforeTree, afterTree, module, environment);
  if ("error" in samples) {
    if (samples.tree === "before") return { state: "skip", reason: `${module} does not import from the repository root, so its import time cannot be measured` };
    return failed(`import ${module} fails after the change`, samples.error);
  }
  const savings = samples.before.map((before, index) => before - samples.after[index]!);
  // Both must reach the minimum: the sign test's bound on the paired savings, and the best runs
  // (load only adds time, so the best of 9 is each tree's cost with the least noise).
  const bound = Math.min(medianLowerBound(savings), Math.min(...samples.before) - Math.min(...samples.after));
  const minimum = (requirement.minimumMs ?? 0) * 1000;
  const figures = `${module} ${ms(median(samples.before))} -> ${ms(median(samples.after))} ms (medians of ${samples.before.length} interleaved runs; saves >= ${ms(Math.max(0, bound))} ms at 95% confidence and in the best runs)`;
  if (bound < Math.max(minimum, 100)) {
    return { state: "skip", reason: `import time: ${figures}; a lazy import must save at least ${ms(Math.max(minimum, 100))} ms` };
  }
  return { state: "keep", check: { check: "import", status: "pass", failures: [], summary: figures, milliseconds: performance.now() - started } };
}

const Probe = z.object({ names: z.array(z.string()), modules: z.record(z.string(), z.string()), pickles: z.array(z.string()) });

/** What a module offers: its names, the `__module__` of the classes and functions it defines, and which of them pickle by reference. */
const PROBE = `
import importlib, json, pickle, sys, types
module = importlib.import_module(sys.argv[1])
found = {"names": sorted(dir(module)), "modules": {}, "pickles": []}
for name, value in list(vars(module).items()):
    if not isinstance(value, (type, types.FunctionType)) or getattr(value, "__qualname__", None) != name:
        continue
    found["modules"][name] = str(value.__module__)
    try:
        if pickle.loads(pickle.dumps(value)) is value:
            found["pickles"].append(name)
    except Exception:
        pass
print("PYAGENT-PROBE " + json.dumps(found))
`;

/** The probe's report (the module may print too while it imports); undefined when there is none. */
function probeReport(stdout: string): z.infer<typeof Probe> | undefined {
  const line = stdout.split("\n").filter((candidate) => candidate.startsWith("PYAGENT-PROBE ")).pop();
  if (line === undefined) return undefined;
  try {
    return Probe.parse(JSON.parse(line.slice("PYAGENT-PROBE ".length)));
  } catch {
    return undefined;
  }
}

/**
 * The import-time increase a split may cost: 5% of the import, at least 0.75 ms. Every new file
 * costs its own load (about 0.1-0.2 ms each, measured: a 110-line module split in 3 parts goes
 * from 0.4 to 0.8 ms), which no reader notices; a split that slows a 7.7 ms import to 8.8 ms fails.
 */
function tolerance(beforeMedian: number): number {
  return Math.max(750, beforeMedian * 0.05);
}

/**
 * The proof a module split needs beyond the tests: every name the module had is still there (private
 * ones and imported modules too), each class and function it defined keeps its `__module__` and
 * still pickles, and importing it is not slower (medians and best runs within `tolerance`).
 */
export async function moduleSplitCheck(beforeTree: string, afterTree: string, module: string, environment: CheckEnvironment): Promise<CheckResult> {
  const started = performance.now();
  const result = (failures: string[], summary: string, output?: string): CheckResult => ({
    check: "import",
    status: failures.length === 0 ? "pass" : "fail",
    failures,
    summary,
    milliseconds: performance.now() - started,
    ...(output === undefined ? {} : { output }),
  });
  const before = await runPythonProbe(beforeTree, PROBE, [module], environment);
  // A module that did not import before the change has no names to keep.
  if ("error" in before) return result([], `${module} did not import before the change`);
  const after = await runPythonProbe(afterTree, PROBE, [module], environment);
  if ("error" in after) return result([`import ${module}`], `import ${module} fails`, after.error);
  const was = probeReport(before.stdout);
  if (was === undefined) return result([], `${module} could not be probed before the change`);
  const now = probeReport(after.stdout);
  if (now === undefined) return result([`probe ${module}`], `${module} could not be probed after the change`, after.stdout.slice(-2000));
  const failures: string[] = [];
  const present = new Set(now.names);
  for (const name of was.names) if (!present.has(name)) failures.push(`${module}.${name} is gone`);
  for (const [name, origin] of Object.entries(was.modules)) {
    if (origin !== module || !present.has(name)) continue;
    const moved = now.modules[name];
    if (moved !== undefined && moved !== module) failures.push(`${module}.${name}.__module__ is now ${moved}`);
  }
  const pickles = new Set(now.pickles);
  for (const name of was.pickles) if (present.has(name) && !pickles.has(name)) failures.push(`${module}.${name} no longer pickles`);
  if (failures.length > 0) return result(failures, `${failures.length} name${failures.length === 1 ? "" : "s"} of ${module} changed`, failures.join("\n"));

  const samples = await interleavedImportTimes(beforeTree, afterTree, module, environment);
  if ("error" in samples) return result([`import ${module}`], `import ${module} fails`, samples.error);
  // Both the medians and the best runs must stay within the allowance. A confidence bound wide
  // enough to hold a loaded machine's outliers let a clearly slower split through (1.7 -> 6.0 ms
  // seen), and the median of paired differences let one pass in one run and fail in the next; the
  // best of 9 is what load cannot inflate.
  const increase = Math.max(median(samples.after) - median(samples.before), Math.min(...samples.after) - Math.min(...samples.before));
  const beforeMedian = median(samples.before);
  const summary = `${module} ${ms(beforeMedian)} -> ${ms(median(samples.after))} ms (medians of ${samples.before.length} interleaved runs), ${was.names.length} names kept`;
  if (increase > tolerance(beforeMedian)) {
    return result([`import time of ${module} worse`], summary, `importing ${module} is slower by ${ms(increase)} ms (medians or best runs); a split may cost at most ${ms(tolerance(beforeMedian))} ms`);
  }
  return result([], summary);
}
