import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { redactText } from "../observability/index.js";
import { runCheckProcess, type CheckEnvironment } from "./checks.js";
import type { ProcessResult } from "./process.js";
import type { TestCommand } from "./types.js";

export type TestOutcome = "passed" | "failed" | "error" | "skipped" | "xfailed" | "xpassed";

/** One run of the project's test command, test by test. */
export interface TestRun {
  /**
   * Every test that reported, by node id (pytest) or test id (unittest), as the journal stores it:
   * redacted (`test_url[http://user:[REDACTED]@host]`). The baseline's ids come back from the
   * journal redacted, so ids are compared in that form or a test with a credential-looking
   * parameter would look lost after every change.
   */
  outcomes: Map<string, TestOutcome>;
  /** The real ids behind each (redacted) id, to re-run them. */
  realIds: Map<string, string[]>;
  /** Collectors (files, modules) that failed to import or collect. */
  collectionErrors: string[];
  /** False when the runner died before writing its report (crash, os._exit, kill). */
  reported: boolean;
  process: ProcessResult;
}

/**
 * Runs pytest or unittest in-process with a recorder, as `python -c RECORDER REPORT ONLY RUNNER
 * ARGS...`: sys.path[0] is the working directory exactly as with `python -m`. The recorder writes
 * every test's outcome as JSON to REPORT when the run ends; with ONLY (a JSON list of ids), just
 * those tests run (the same collection, the rest deselected), which is how a failure is re-run.
 * Hooks used (pytest_runtest_logreport, pytest_collectreport, pytest_collection_modifyitems) are
 * the same in pytest 7, 8 and 9, and see xdist workers' reports on the controller.
 */
const RECORDER = String.raw`
import json, sys
report_path, only_path, runner = sys.argv[1], sys.argv[2], sys.argv[3]
args = sys.argv[4:]
del sys.argv[1:4]
only = None
if only_path:
    with open(only_path, encoding="utf-8") as handle:
        only = set(json.load(handle))
outcomes = {}
collection_errors = []
RANK = {"passed": 0, "skipped": 1, "xfailed": 1, "xpassed": 2, "failed": 3, "error": 4}

def note(test_id, outcome):
    previous = outcomes.get(test_id)
    if previous is None or RANK[outcome] > RANK[previous]:
        outcomes[test_id] = outcome

def write(code):
    with open(report_path, "w", encoding="utf-8") as handle:
        json.dump({"exitCode": code, "outcomes": outcomes, "collectionErrors": collection_errors}, handle)

code = 1
try:
    if runner == "pytest":
        import pytest

        class Recorder:
            def pytest_collectreport(self, report):
                if report.failed:
                    collection_errors.append(report.nodeid or ".")

            @pytest.hookimpl(trylast=True)
            def pytest_collection_modifyitems(self, session, config, items):
                if only is None:
                    return
                dropped = [item for item in items if item.nodeid not in only]
                items[:] = [item for item in items if item.nodeid in only]
                if dropped:
                    config.hook.pytest_deselected(items=dropped)

            def pytest_runtest_logreport(self, report):
                if report.outcome not in ("passed", "failed", "skipped"):
                    return  # "rerun" reports of pytest-rerunfailures
                expected_failure = hasattr(report, "wasxfail")
                if report.failed:
                    note(report.nodeid, "failed" if report.when == "call" else "error")
                elif report.skipped:
                    note(report.nodeid, "xfailed" if expected_failure else "skipped")
                elif report.when == "call":
                    note(report.nodeid, "xpassed" if expected_failure else "passed")

        # A file that fails to collect is recorded and the other files still run (pytest would stop).
        # -q: no header naming the worktree's path, so the output an agent is shown is the same in every run.
        options = ["-p", "no:cacheprovider", "--continue-on-collection-errors", "-q", "-rfE", "--color=no"]
        code = int(pytest.main(options + args, plugins=[Recorder()]))
    else:
        import unittest

        class Result(unittest.TextTestResult):
            def addSuccess(self, test):
                super().addSuccess(test)
                note(test.id(), "passed")

            def addFailure(self, test, err):
                super().addFailure(test, err)
                note(test.id(), "failed")

            def addError(self, test, err):
                super().addError(test, err)
                if type(test).__name__ == "_FailedTest":  # a module that failed to import: its id is the module's
                    collection_errors.append(test.id().replace("unittest.loader._FailedTest.", "", 1))
                else:
                    note(test.id(), "error")

            def addSkip(self, test, reason):
                super().addSkip(test, reason)
                note(test.id(), "skipped")

            def addExpectedFailure(self, test, err):
                super().addExpectedFailure(test, err)
                note(test.id(), "xfailed")

            def addUnexpectedSuccess(self, test):
                super().addUnexpectedSuccess(test)
                note(test.id(), "xpassed")

            def addSubTest(self, test, subtest, err):
                super().addSubTest(test, subtest, err)
                if err is not None:
                    note(test.id(), "failed" if issubclass(err[0], test.failureException) else "error")

        def flatten(suite):
            for test in suite:
                if isinstance(test, unittest.TestSuite):
                    yield from flatten(test)
                else:
                    yield test

        class Runner(unittest.TextTestRunner):
            resultclass = Result

            def run(self, test):
                if only is not None:
                    test = unittest.TestSuite([case for case in flatten(test) if case.id() in only])
                return super().run(test)

        program = unittest.main(module=None, argv=["python -m unittest"] + args, testRunner=Runner, exit=False)
        code = 0 if program.result.wasSuccessful() else 1
        if program.result.testsRun == 0 and code == 0:
            code = 5
finally:
    write(code)
sys.exit(code)
`;

/** The worst outcome wins when two ids read the same once redacted (the recorder ranks phases the same way). */
const OUTCOME_RANK: Record<TestOutcome, number> = { passed: 0, skipped: 1, xfailed: 1, xpassed: 2, failed: 3, error: 4 };

const Report = z.object({
  exitCode: z.number().int(),
  outcomes: z.record(z.string(), z.enum(["passed", "failed", "error", "skipped", "xfailed", "xpassed"])),
  collectionErrors: z.array(z.string()),
});

/**
 * Runs `command` in `tree` and reads back every test's outcome. The report lives in a private
 * temporary folder (removed after) that the check process is allowed to write.
 */
export async function runTests(tree: string, command: TestCommand, environment: CheckEnvironment, only?: string[]): Promise<TestRun> {
  const folder = mkdtempSync(join(tmpdir(), "pyagent-tests-"));
  try {
    const reportFile = join(folder, "report.json");
    const onlyFile = only ? join(folder, "only.json") : "";
    if (only) writeFileSync(onlyFile, JSON.stringify(only));
    const process = await runCheckProcess(tree, environment.python, ["-c", RECORDER, reportFile, onlyFile, command.runner, ...command.args], environment, {
      pythonPath: command.pythonPath.map((path) => join(tree, path)),
      writable: [folder],
    });
    let text: string;
    try {
      text = readFileSync(reportFile, "utf8");
    } catch {
      return { outcomes: new Map(), realIds: new Map(), collectionErrors: [], reported: false, process };
    }
    const parsed = Report.safeParse(safeJson(text));
    if (!parsed.success) return { outcomes: new Map(), realIds: new Map(), collectionErrors: [], reported: false, process };
    const outcomes = new Map<string, TestOutcome>();
    const realIds = new Map<string, string[]>();
    for (const [real, outcome] of Object.entries(parsed.data.outcomes)) {
      const id = redactText(real);
      const previous = outcomes.get(id);
      if (previous === undefined || OUTCOME_RANK[outcome] > OUTCOME_RANK[previous]) outcomes.set(id, outcome);
      realIds.set(id, [...(realIds.get(id) ?? []), real]);
    }
    return { outcomes, realIds, collectionErrors: [...new Set(parsed.data.collectionErrors.map((error) => redactText(error)))].sort(), reported: true, process };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Failing ids as the proof compares them: `id` for a failure, `error id` for an error in setup/teardown or collection. */
export function failingIds(run: TestRun, exclude: ReadonlySet<string> = new Set()): string[] {
  const ids: string[] = [];
  for (const [id, outcome] of run.outcomes) {
    if (exclude.has(id)) continue;
    if (outcome === "failed") ids.push(id);
    else if (outcome === "error") ids.push(`error ${id}`);
  }
  for (const collector of run.collectionErrors) ids.push(`error ${collector}`);
  return ids.sort();
}

export function countOutcomes(run: TestRun): Record<TestOutcome, number> {
  const counts: Record<TestOutcome, number> = { passed: 0, failed: 0, error: 0, skipped: 0, xfailed: 0, xpassed: 0 };
  for (const outcome of run.outcomes.values()) counts[outcome]++;
  return counts;
}
