import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runCheckProcess, timeoutResult, type CheckEnvironment } from "./checks.js";
import { OutdatedRunError } from "./errors.js";
import { findTestCommand } from "./test-command.js";
import { countOutcomes, failingIds, runTests, type TestRun } from "./test-run.js";
import type { Baseline, CheckResult, TestBaseline, TestCommand } from "./types.js";

/** More newly failing tests than this are the change's doing; re-running them one by one would only cost time. */
const RERUN_LIMIT = 50;
const OUTPUT_KEPT = 8_000;
const PROBE_TIMEOUT_MS = 60_000;

/** Tracked files that look like tests: their presence means a run that passes nothing proves nothing. */
export const TEST_FILE = /(^|\/)(test_[^/]*\.py|[^/]*_test\.py|tests?\/.*\.py|conftest\.py)$/;

/**
 * The test command for `tree`: the project's own (see test-command.ts), else pytest when it is
 * installed, else unittest discovery; with `src` first on PYTHONPATH for a src layout. Returns
 * `missing` when the command needs pytest and the interpreter has none.
 */
export async function chooseTestCommand(tree: string, environment: CheckEnvironment): Promise<{ command: TestCommand; pytestMissing: boolean }> {
  const found = findTestCommand(tree);
  // Probes get their own limit: a short --check-timeout is meant for the tests, not for an import.
  const probes = { ...environment, timeoutMs: Math.max(environment.timeoutMs, PROBE_TIMEOUT_MS) };
  const pytestInstalled = (await runCheckProcess(tree, environment.python, ["-c", "import pytest"], probes)).code === 0;
  let command: TestCommand;
  if (found) command = { ...found, pythonPath: [] };
  else if (pytestInstalled) command = { runner: "pytest", args: [], source: "default: no test command in [tool.pyagent], tox, nox, Makefile, CI workflows or pytest configuration", pythonPath: [], notes: [] };
  else command = { runner: "unittest", args: [], source: `default: unittest discovery (pytest is not installed for ${environment.python})`, pythonPath: [], notes: [] };
  const src = await srcLayout(tree, probes);
  if (src) command = { ...command, pythonPath: ["src"], notes: [...command.notes, src] };
  return { command, pytestMissing: command.runner === "pytest" && !pytestInstalled };
}

/**
 * A package under `src/` is tested from the tree only with `src` on the path: otherwise it does not
 * import, or (worse) an installed copy is imported and the change goes untested.
 */
async function srcLayout(tree: string, environment: CheckEnvironment): Promise<string | null> {
  const src = join(tree, "src");
  if (!existsSync(src)) return null;
  const packages = readdirSync(src, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^[A-Za-z_]\w*$/.test(entry.name) && readdirSync(join(src, entry.name)).some((file) => file.endsWith(".py")))
    .map((entry) => entry.name)
    .sort();
  if (packages.length === 0) return null;
  const name = packages[0]!;
  const probe = await runCheckProcess(
    tree,
    environment.python,
    ["-c", "import importlib.util, sys\ntry:\n    spec = importlib.util.find_spec(sys.argv[1])\nexcept Exception:\n    spec = None\nprint(spec.origin or next(iter(spec.submodule_search_locations or []), '') if spec else '')", name],
    environment,
  );
  const origin = probe.code === 0 ? probe.stdout.trim() : "";
  if (origin === "") return `src on PYTHONPATH: ${name} lives in src/ and is not importable otherwise`;
  if (origin.startsWith(tree)) return `src on PYTHONPATH: ${name} lives in src/`;
  return `src on PYTHONPATH: ${name} lives in src/ (otherwise the installed copy at ${origin} would be tested, not the change)`;
}

function outputTail(run: TestRun): string {
  const text = `${run.process.stdout}${run.process.stderr ? `\n${run.process.stderr}` : ""}`.trim();
  return text.length > OUTPUT_KEPT ? `…${text.slice(text.length - OUTPUT_KEPT)}` : text;
}

/** The last line of the output that says something (pytest's summary, a traceback's error). */
function lastWords(run: TestRun): string {
  const lines = outputTail(run).split("\n").map((line) => line.trim()).filter((line) => line && !/^[=_-]+$/.test(line));
  const error = [...lines].reverse().find((line) => /^(E\s+)?[\w.]*(Error|Exception)\b/.test(line));
  return (error ?? lines.at(-1) ?? `exit ${run.process.code ?? "signal"}`).replace(/^E\s+/, "").slice(0, 200);
}

function summaryOf(run: TestRun, exclude: ReadonlySet<string>, extra: string[]): string {
  const counts = countOutcomes({ ...run, outcomes: new Map([...run.outcomes].filter(([id]) => !exclude.has(id))) });
  const errors = counts.error + run.collectionErrors.length;
  return [counts.failed ? `${counts.failed} failed` : "", errors ? `${errors} errors` : "", `${counts.passed} passed`, ...extra].filter(Boolean).join(", ");
}

export interface BaselineTests {
  result: CheckResult | null;
  tests: TestBaseline | null;
  unproven: string | null;
}

/**
 * Runs the test command twice at the baseline: a test whose outcome differs between the runs is
 * flaky (reported, never blamed); `succeeded` is what passed both times. Says why the tests cannot
 * prove anything when they cannot: collection errors, or nothing passes while tests exist.
 */
export async function baselineTests(tree: string, command: TestCommand, environment: CheckEnvironment, testFilesExist: boolean): Promise<BaselineTests> {
  const check = command.runner;
  const first = await runTests(tree, command, environment);
  if (first.process.timedOut) return { result: timeoutResult(check, environment, first.process), tests: { command, succeeded: [], flaky: [], collected: 0 }, unproven: null };
  if (first.reported && first.outcomes.size === 0 && first.collectionErrors.length === 0 && !testFilesExist) return { result: null, tests: null, unproven: null };
  const second = first.reported ? await runTests(tree, command, environment) : first;
  if (second.process.timedOut) return { result: timeoutResult(check, environment, second.process), tests: { command, succeeded: [], flaky: [], collected: 0 }, unproven: null };
  const ids = new Set([...first.outcomes.keys(), ...second.outcomes.keys()]);
  const flaky = [...ids].filter((id) => first.outcomes.get(id) !== second.outcomes.get(id)).sort();
  const flakySet = new Set(flaky);
  const passing = [...ids].filter((id) => !flakySet.has(id) && first.outcomes.get(id) === "passed").sort();
  const collectionErrors = [...new Set([...first.collectionErrors, ...second.collectionErrors])].sort();
  const failures = [...new Set([...failingIds({ ...first, collectionErrors }, flakySet)])].sort();
  if (!first.reported) failures.push(`${check} exit ${first.process.code ?? "signal"} without a report`);
  const result: CheckResult = {
    check,
    status: failures.length === 0 ? "pass" : "fail",
    failures,
    summary: first.reported ? summaryOf({ ...first, collectionErrors }, flakySet, flaky.length ? [`${flaky.length} flaky`] : []) : `stopped without a report: ${lastWords(first)}`,
    passed: passing.length,
    // A copy: the journal's redaction writes an array met twice in one record as "[Circular]".
    flaky: flaky.length > 0 ? [...flaky] : undefined,
    milliseconds: first.process.milliseconds + (second === first ? 0 : second.process.milliseconds),
    output: failures.length === 0 ? undefined : outputTail(first),
  };
  let unproven: string | null = null;
  if (!first.reported) unproven = `${check} stopped without reporting any test (${lastWords(first)})`;
  else if (collectionErrors.length > 0) {
    unproven = `${collectionErrors.length} test file${collectionErrors.length === 1 ? "" : "s"} could not be collected (${collectionErrors.slice(0, 3).join(", ")}${collectionErrors.length > 3 ? ", ..." : ""}: ${lastWords(first)})`;
  } else if (passing.length === 0 && (testFilesExist || ids.size > 0)) unproven = `no test passed (${ids.size} ran; ${lastWords(first)})`;
  return { result, tests: { command, succeeded: passing, flaky, collected: ids.size }, unproven };
}

/**
 * Proves a changed tree against the baseline's tests: every id that passed at baseline must be
 * collected and pass again, and nothing may fail that did not fail before, whatever the totals say.
 * A newly failing test is re-run once by id before the change is blamed (a flake that passes on
 * the re-run is reported, not blamed). `failures` holds failing ids plus `missing ID` / `skipped ID`
 * for baseline passes that no longer ran or passed, so `newFailures` needs no other rule.
 */
export async function proveTests(tree: string, tests: TestBaseline, baselineFailures: readonly string[], environment: CheckEnvironment): Promise<CheckResult> {
  const check = tests.command.runner;
  const run = await runTests(tree, tests.command, environment);
  if (run.process.timedOut) return timeoutResult(check, environment, run.process);
  const flakyBefore = new Set(tests.flaky);
  const before = new Set(baselineFailures);
  const failingNow = (id: string) => run.outcomes.get(id) === "failed" || run.outcomes.get(id) === "error";
  const idOf = (id: string) => (run.outcomes.get(id) === "error" ? `error ${id}` : id);
  const lost = tests.succeeded.filter((id) => !flakyBefore.has(id) && run.outcomes.get(id) !== "passed");
  const newlyFailing = [...run.outcomes.keys()].filter((id) => failingNow(id) && !flakyBefore.has(id) && !before.has(idOf(id)));
  const candidates = [...new Set([...lost.filter(failingNow), ...newlyFailing])].sort();
  const flakyNow: string[] = [];
  let rerunMs = 0;
  if (candidates.length > 0 && candidates.length <= RERUN_LIMIT) {
    const rerun = await runTests(tree, tests.command, environment, candidates.flatMap((id) => run.realIds.get(id) ?? [id]));
    rerunMs = rerun.process.milliseconds;
    for (const id of candidates) if (rerun.outcomes.get(id) === "passed") flakyNow.push(id);
  }
  const excluded = new Set([...flakyBefore, ...flakyNow]);
  const gone = lost.filter((id) => !failingNow(id) && !excluded.has(id));
  const failures = [...failingIds(run, excluded), ...gone.map((id) => `${run.outcomes.get(id) ?? "missing"} ${id}`)];
  if (!run.reported) failures.push(`${check} exit ${run.process.code ?? "signal"} without a report`);
  const missing = gone.filter((id) => !run.outcomes.has(id)).length;
  const extra = [missing ? `${missing} missing` : "", gone.length - missing ? `${gone.length - missing} no longer passing` : "", flakyNow.length ? `${flakyNow.length} flaky (passed on re-run)` : ""];
  return {
    check,
    status: failures.length === 0 ? "pass" : "fail",
    failures: failures.sort(),
    summary: run.reported ? summaryOf(run, excluded, extra) : `stopped without a report: ${lastWords(run)}`,
    passed: countOutcomes(run).passed,
    flaky: flakyNow.length > 0 ? flakyNow : undefined,
    milliseconds: run.process.milliseconds + rerunMs,
    output: failures.length === 0 ? undefined : outputTail(run),
  };
}

/**
 * A baseline recorded before tests were counted by id (no `tests` field) cannot prove a change
 * the way this PyAgent proves it: refuse loudly rather than prove less than the user expects.
 */
export function requireCountedTests(baseline: Baseline, runId: string, root: string): void {
  if (baseline.tests === undefined && baseline.checks.some((check) => check.check === "pytest" || check.check === "unittest")) {
    throw new OutdatedRunError(
      `run ${runId} was recorded by an older PyAgent whose proof did not count tests by id; it cannot be resumed or merged by this one: start a new run (pyagent improve ${root}); its commits stay on pyagent/${runId}`,
      { runId },
    );
  }
}
