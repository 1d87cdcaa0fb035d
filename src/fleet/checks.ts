import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { gitRun } from "./git.js";
import { runProcess, type ProcessResult, type ProcessSandbox } from "./process.js";
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
}

const OUTPUT_KEPT = 8_000;

/**
 * Bytecode goes to one cache folder under `.pyagent/` (never into the tree being proven). It is
 * written, not disabled: with a prefix and no cache there, every check would recompile pytest and
 * the standard library (seconds per run); Python revalidates each entry by source mtime and size.
 */
function pythonEnv(environment: CheckEnvironment): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPYCACHEPREFIX: environment.pycacheDir, PYTHONUNBUFFERED: "1", PY_COLORS: "0", NO_COLOR: "1" };
  delete env.PYTHONDONTWRITEBYTECODE;
  return env;
}

function tail(result: ProcessResult): string {
  const text = `${result.stdout}${result.stderr ? `\n${result.stderr}` : ""}`.trim();
  return text.length > OUTPUT_KEPT ? `…${text.slice(text.length - OUTPUT_KEPT)}` : text;
}

function timeoutResult(check: CheckName, environment: CheckEnvironment, result: ProcessResult): CheckResult {
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
  const result = await runProcess(environment.python, ["-m", "compileall", "-q", "-f", "-i", "-"], {
    cwd: tree,
    env: pythonEnv(environment),
    sandbox: environment.sandbox,
    input: files.join("\n") + "\n",
    timeoutMs: environment.timeoutMs,
    signal: environment.signal,
  });
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

/** Runs the repo's pytest (its own configuration applies: rootdir, testpaths, addopts). */
export async function runPytest(tree: string, environment: CheckEnvironment): Promise<CheckResult> {
  const result = await runProcess(environment.python, ["-m", "pytest", "-q", "-rfE", "--color=no", "-p", "no:cacheprovider"], {
    cwd: tree,
    env: pythonEnv(environment),
    sandbox: environment.sandbox,
    timeoutMs: environment.timeoutMs,
    signal: environment.signal,
  });
  if (result.timedOut) return timeoutResult("pytest", environment, result);
  return pytestResult(result);
}

/** Reads pytest's `-rfE` short summary and final line. Exit codes: 0 ok, 1 failures, 2-4 errors, 5 no tests. */
export function pytestResult(result: ProcessResult): CheckResult {
  const output = result.stdout;
  const failures = new Set<string>();
  for (const match of output.matchAll(/^(FAILED|ERROR) (\S+)(?: - .*)?$/gm)) failures.add(`${match[1] === "ERROR" ? "error " : ""}${match[2]}`);
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(output.split("\n").filter((line) => /\bin [\d.]+s/.test(line)).pop() ?? "")?.[1] ?? 0);
  const passed = count("passed");
  const code = result.code;
  if (code !== 0 && code !== 5 && failures.size === 0) failures.add(`pytest exit ${code ?? "signal"}`);
  const failed = count("failed");
  const errors = count("errors?");
  const parts = [failed ? `${failed} failed` : "", errors ? `${errors} errors` : "", `${passed} passed`].filter(Boolean);
  return {
    check: "pytest",
    status: failures.size === 0 ? "pass" : "fail",
    failures: [...failures].sort(),
    summary: parts.join(", "),
    passed,
    milliseconds: result.milliseconds,
    output: failures.size === 0 ? undefined : tail(result),
  };
}

const PyrightReport = z.object({
  generalDiagnostics: z.array(z.object({ file: z.string(), severity: z.string(), message: z.string() })).default([]),
});

/** Runs pyright with its own configuration; failure ids are `file: message` of errors (line numbers shift, messages do not). */
export async function runPyright(tree: string, environment: CheckEnvironment): Promise<CheckResult> {
  const result = await runProcess("pyright", ["--outputjson"], { cwd: tree, env: pythonEnv(environment), sandbox: environment.sandbox, timeoutMs: environment.timeoutMs, signal: environment.signal });
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
    const result = await runProcess(environment.python, ["-X", "importtime", "-c", `import ${module}`], {
      cwd: tree,
      env: pythonEnv(environment),
      sandbox: environment.sandbox,
      timeoutMs: environment.timeoutMs,
      signal: environment.signal,
    });
    if (result.timedOut) return { error: `import ${module} timed out` };
    if (result.code !== 0) return { error: result.stderr.trim().split("\n").filter((line) => !line.startsWith("import time:")).pop() ?? `import ${module} failed` };
    const escaped = module.replace(/\./g, "\\.");
    const line = new RegExp(`^import time:\\s+\\d+\\s+\\|\\s+(\\d+)\\s+\\|\\s*${escaped}$`, "m").exec(result.stderr);
    if (line) best = Math.min(best, Number(line[1]));
  }
  return Number.isFinite(best) ? { microseconds: best } : { error: `no import-time line for ${module}` };
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
 * Decides which checks prove changes in this repo and runs each once at the baseline commit:
 * compileall always; pytest when pytest collects tests (its ini options honoured); pyright when
 * configured and installed.
 */
export async function runBaseline(tree: string, commit: string, environment: CheckEnvironment, onCheck?: (result: CheckResult) => void): Promise<Baseline> {
  const checks: CheckResult[] = [];
  const unavailable: Baseline["unavailable"] = [];
  const record = (result: CheckResult) => {
    checks.push(result);
    onCheck?.(result);
  };
  record(await runCompileall(tree, await trackedPythonFiles(tree), environment));

  const collect = await runProcess(environment.python, ["-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], {
    cwd: tree,
    env: pythonEnv(environment),
    sandbox: environment.sandbox,
    timeoutMs: environment.timeoutMs,
    signal: environment.signal,
  });
  const pytestMissing = /No module named pytest/.test(collect.stderr);
  if (collect.timedOut) record(timeoutResult("pytest", environment, collect));
  else if (pytestMissing) {
    const hasTests = (await trackedPythonFiles(tree)).some((path) => /(^|\/)(test_[^/]*|[^/]*_test)\.py$/.test(path)) || pyprojectHas(tree, "pytest");
    if (hasTests) unavailable.push({ check: "pytest", reason: `tests found but pytest is not installed for ${environment.python}` });
  } else if (collect.code !== 5) record(await runPytest(tree, environment));

  const pyrightConfigured = existsSync(join(tree, "pyrightconfig.json")) || pyprojectHas(tree, "pyright");
  if (pyrightConfigured) {
    const version = await runProcess("pyright", ["--version"], { cwd: tree, timeoutMs: 60_000 });
    if (version.code === 0) record(await runPyright(tree, environment));
    else unavailable.push({ check: "pyright", reason: "configured but the pyright command is not installed" });
  }
  return { commit, python: environment.python, checks, unavailable };
}

/** Runs the baseline's checks on a changed tree; compileall only over the changed Python files. */
export async function proveTree(tree: string, baseline: Baseline, changedPython: string[], environment: CheckEnvironment): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of baseline.checks) {
    if (check.check === "compileall") results.push(await runCompileall(tree, changedPython, environment));
    else if (check.check === "pytest") results.push(await runPytest(tree, environment));
    else if (check.check === "pyright") results.push(await runPyright(tree, environment));
  }
  return results;
}

/** Failures in `after` that the baseline did not have: a change is acceptable when this is empty. */
export function newFailures(baseline: Baseline, after: CheckResult[]): Array<{ check: CheckName; failures: string[] }> {
  const found: Array<{ check: CheckName; failures: string[] }> = [];
  for (const result of after) {
    const before = new Set(baseline.checks.find((check) => check.check === result.check)?.failures ?? []);
    const added = result.failures.filter((failure) => !before.has(failure));
    if (added.length > 0) found.push({ check: result.check, failures: added });
  }
  return found;
}

/** The `PyAgent-Checks` trailer: `pytest 12 passed; compileall ok`. */
export function checksSummary(results: CheckResult[]): string {
  return results.map((result) => `${result.check} ${result.summary}`).join("; ");
}
