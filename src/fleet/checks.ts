import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { OutdatedRunError } from "./errors.js";
import { gitRun } from "./git.js";
import { runProcess, type ProcessResult, type ProcessSandbox } from "./process.js";
import { baselineTests, chooseTestCommand, proveTests, TEST_FILE } from "./test-proof.js";
import type { Baseline, CheckName, CheckResult } from "./types.js";

export interface CheckEnvironment {
  python: string;
  /** Per-check limit; a check still running after this is killed and recorded as a timeout. */
  timeoutMs: number;
  /** Where Python writes bytecode (shared by every tree), so checks never leave files in the tree they prove. */
  pycacheDir: string;
  signal?: AbortSignal;
  /** Where every check process runs (sandbox.ts); none = a plain child process with the full environment. */
  sandbox?: ProcessSandbox;
  /** Folders of the tree put first on PYTHONPATH for every check (`src` of a src layout, as the baseline chose). */
  pythonPath?: readonly string[];
}

const OUTPUT_KEPT = 8_000;

/**
 * Bytecode goes to one cache folder under `.pyagent/` (never into the tree being proven). It is
 * written, not disabled: with a prefix and no cache there, every check would recompile pytest and
 * the standard library (seconds per run); Python revalidates each entry by source mtime and size.
 */
function pythonEnv(environment: CheckEnvironment, pythonPath: readonly string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPYCACHEPREFIX: environment.pycacheDir, PYTHONUNBUFFERED: "1", PY_COLORS: "0", NO_COLOR: "1" };
  delete env.PYTHONDONTWRITEBYTECODE;
  // A src layout's folder goes first: the tree's code, not an installed copy, is what gets proven.
  if (pythonPath.length > 0) env.PYTHONPATH = [...pythonPath, ...(env.PYTHONPATH ? [env.PYTHONPATH] : [])].join(":");
  return env;
}

export interface CheckProcessOptions {
  input?: string;
  /** Absolute folders put first on PYTHONPATH. */
  pythonPath?: readonly string[];
  /** Folders besides the tree that the check writes (the test report's private temp folder). */
  writable?: readonly string[];
}

/**
 * Every check process starts here (one place to confine them): `command args` in `tree`, with the
 * check environment, the per-check timeout and the run's abort signal.
 */
export function runCheckProcess(tree: string, command: string, args: readonly string[], environment: CheckEnvironment, options: CheckProcessOptions = {}): Promise<ProcessResult> {
  return runProcess(command, args, {
    cwd: tree,
    env: pythonEnv(environment, options.pythonPath ?? (environment.pythonPath ?? []).map((folder) => join(tree, folder))),
    sandbox: environment.sandbox,
    writable: options.writable,
    input: options.input,
    timeoutMs: environment.timeoutMs,
    signal: environment.signal,
  });
}

function tail(result: ProcessResult): string {
  const text = `${result.stdout}${result.stderr ? `\n${result.stderr}` : ""}`.trim();
  return text.length > OUTPUT_KEPT ? `…${text.slice(text.length - OUTPUT_KEPT)}` : text;
}

export function timeoutResult(check: CheckName, environment: CheckEnvironment, result: ProcessResult): CheckResult {
  return {
    check,
    status: "timeout",
    failures: [`${check} timed out`],
    summary: `timed out after ${Math.round(environment.timeoutMs / 1000)} s`,
    milliseconds: result.milliseconds,
    output: tail(result),
  };
}

/** `python -m compileall` over `files` (relative .py paths); failure ids are the files that do not compile. */
export async function runCompileall(tree: string, files: string[], environment: CheckEnvironment): Promise<CheckResult> {
  const result = await runCheckProcess(tree, environment.python, ["-m", "compileall", "-q", "-f", "-i", "-"], environment, { input: files.join("\n") + "\n" });
  if (result.timedOut) return timeoutResult("compileall", environment, result);
  const failures = [...result.stdout.matchAll(/^\*\*\* Error compiling '(?:\.\/)?(.+?)'\.\.\.$/gm)].map((match) => match[1]!).sort();
  if (result.code !== 0 && failures.length === 0) failures.push(`compileall exit ${result.code ?? "signal"}`);
  return {
    check: "compileall",
    status: failures.length === 0 ? "pass" : "fail",
    failures,
    summary: failures.length === 0 ? "ok" : `${failures.length} file${failures.length === 1 ? "" : "s"} do not compile`,
    milliseconds: result.milliseconds,
    output: failures.length === 0 ? undefined : tail(result),
  };
}

const PyrightReport = z.object({
  generalDiagnostics: z.array(z.object({ file: z.string(), severity: z.string(), message: z.string() })).default([]),
});

/** Runs pyright with its own configuration; failure ids are `file: message` of errors (line numbers shift, messages do not). */
export async function runPyright(tree: string, environment: CheckEnvironment): Promise<CheckResult> {
  const result = await runCheckProcess(tree, "pyright", ["--outputjson"], environment);
  if (result.timedOut) return timeoutResult("pyright", environment, result);
  let failures: string[];
  try {
    const report = PyrightReport.parse(JSON.parse(result.stdout));
    failures = report.generalDiagnostics
      .filter((diagnostic) => diagnostic.severity === "error")
      .map((diagnostic) => `${diagnostic.file.startsWith(tree) ? diagnostic.file.slice(tree.length + 1) : diagnostic.file}: ${diagnostic.message.split("\n")[0]}`);
  } catch {
    failures = [`pyright exit ${result.code ?? "signal"}`];
  }
  failures = [...new Set(failures)].sort();
  return {
    check: "pyright",
    status: failures.length === 0 ? "pass" : "fail",
    failures,
    summary: failures.length === 0 ? "0 errors" : `${failures.length} errors`,
    milliseconds: result.milliseconds,
    output: failures.length === 0 ? undefined : tail(result),
  };
}

/** Best-of-`repeats` cumulative import time of `module` in microseconds, or an error message. */
export async function measureImportTime(tree: string, module: string, environment: CheckEnvironment, repeats = 5): Promise<{ microseconds: number } | { error: string }> {
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < repeats; attempt++) {
    const result = await runCheckProcess(tree, environment.python, ["-X", "importtime", "-c", `import ${module}`], environment);
    if (result.timedOut) return { error: `import ${module} timed out` };
    if (result.code !== 0) return { error: result.stderr.trim().split("\n").filter((line) => !line.startsWith("import time:")).pop() ?? `import ${module} failed` };
    const escaped = module.replace(/\./g, "\\.");
    const line = new RegExp(`^import time:\\s+\\d+\\s+\\|\\s+(\\d+)\\s+\\|\\s*${escaped}$`, "m").exec(result.stderr);
    if (line) best = Math.min(best, Number(line[1]));
  }
  return Number.isFinite(best) ? { microseconds: best } : { error: `no import-time line for ${module}` };
}

/** Runs `python -c code args...` in `tree` with the checks' environment: its stdout, or the last line of its error. */
export async function runPythonProbe(tree: string, code: string, args: string[], environment: CheckEnvironment): Promise<{ stdout: string } | { error: string }> {
  const result = await runCheckProcess(tree, environment.python, ["-c", code, ...args], environment);
  if (result.timedOut) return { error: `python probe timed out in ${tree}` };
  if (result.code !== 0) return { error: result.stderr.trim().split("\n").pop() ?? `python exit ${result.code ?? "signal"}` };
  return { stdout: result.stdout };
}

/** Python files tracked at `commit` (the files compileall proves). */
export async function trackedPythonFiles(tree: string): Promise<string[]> {
  const listed = await gitRun(tree, ["ls-files", "-z", "--", "*.py"]);
  return listed.stdout.split("\0").filter(Boolean);
}

function pyprojectHas(tree: string, tool: string): boolean {
  const file = join(tree, "pyproject.toml");
  if (!existsSync(file)) return false;
  try {
    const document = parseToml(readFileSync(file, "utf8")) as { tool?: Record<string, unknown> };
    return document.tool?.[tool] !== undefined;
  } catch {
    return false;
  }
}

/**
 * Decides which checks prove changes in this repo and runs each at the baseline commit:
 * compileall always; the project's test command (pytest or unittest, found where the project
 * keeps it) twice, test by test, when there are tests; pyright when configured and installed.
 * `unproven` says why the tests cannot prove anything here, when they cannot.
 */
export async function runBaseline(tree: string, commit: string, environment: CheckEnvironment, onCheck?: (result: CheckResult) => void): Promise<Baseline> {
  const checks: CheckResult[] = [];
  const unavailable: Baseline["unavailable"] = [];
  const record = (result: CheckResult) => {
    checks.push(result);
    onCheck?.(result);
  };
  const files = await trackedPythonFiles(tree);
  record(await runCompileall(tree, files, environment));

  const testFilesExist = files.some((path) => TEST_FILE.test(path));
  const { command, pytestMissing } = await chooseTestCommand(tree, environment);
  let tests: Baseline["tests"] = null;
  let unproven: string | null = null;
  if (pytestMissing) {
    if (testFilesExist || pyprojectHas(tree, "pytest")) {
      const reason = `tests found but pytest is not installed for ${environment.python}`;
      unavailable.push({ check: "pytest", reason });
      unproven = reason;
    }
  } else {
    const found = await baselineTests(tree, command, environment, testFilesExist);
    if (found.result) record(found.result);
    tests = found.tests;
    unproven = found.unproven;
    if (unproven && command.runner === "unittest" && command.source.startsWith("default")) unproven += `; pytest is not installed for ${environment.python}, so unittest ran them: install pytest if the tests need it`;
  }

  const pyrightConfigured = existsSync(join(tree, "pyrightconfig.json")) || pyprojectHas(tree, "pyright");
  if (pyrightConfigured) {
    const version = await runCheckProcess(tree, "pyright", ["--version"], { ...environment, timeoutMs: 60_000 });
    if (version.code === 0) record(await runPyright(tree, environment));
    else unavailable.push({ check: "pyright", reason: "configured but the pyright command is not installed" });
  }
  return { commit, python: environment.python, checks, unavailable, tests, unproven };
}

/** Runs the baseline's checks on a changed tree; compileall only over the changed Python files. */
export async function proveTree(tree: string, baseline: Baseline, changedPython: string[], environment: CheckEnvironment): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of baseline.checks) {
    if (check.check === "compileall") results.push(await runCompileall(tree, changedPython, environment));
    else if (check.check === "pytest" || check.check === "unittest") {
      if (!baseline.tests) throw new OutdatedRunError(`the baseline of ${baseline.commit.slice(0, 12)} has a ${check.check} check but no test ids (recorded by an older PyAgent): start a new run`);
      results.push(await proveTests(tree, baseline.tests, check.failures, environment));
    } else if (check.check === "pyright") results.push(await runPyright(tree, environment));
  }
  return results;
}

/**
 * Failures in `after` that the baseline did not have: a change is acceptable when this is empty.
 * For tests, `after` already names every baseline pass that is gone (`missing ID`), see proveTests.
 */
export function newFailures(baseline: Baseline, after: CheckResult[]): Array<{ check: CheckName; failures: string[] }> {
  const found: Array<{ check: CheckName; failures: string[] }> = [];
  for (const result of after) {
    const before = new Set(baseline.checks.find((check) => check.check === result.check)?.failures ?? []);
    const added = result.failures.filter((failure) => !before.has(failure));
    if (added.length > 0) found.push({ check: result.check, failures: added });
  }
  return found;
}

/**
 * A proof failure in one line: each check with its first new failures and how many there are in
 * all. `alwaysPlural`: "new failures" even for one (the LLM agents' retries quote that wording).
 */
export function describeNewFailures(broken: Array<{ check: CheckName; failures: string[] }>, options: { shown?: number; alwaysPlural?: boolean } = {}): string {
  const shown = options.shown ?? 5;
  return broken
    .map((item) => {
      const more = item.failures.length > shown ? `, ... (${item.failures.length} in all)` : "";
      const noun = item.failures.length === 1 && !options.alwaysPlural ? "new failure" : "new failures";
      return `${item.check}: ${noun} ${item.failures.slice(0, shown).join(", ")}${more}`;
    })
    .join("; ");
}

/** The `PyAgent-Checks` trailer: `pytest 12 passed; compileall ok`. */
export function checksSummary(results: CheckResult[]): string {
  return results.map((result) => `${result.check} ${result.summary}`).join("; ");
}
