import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { improve, openJournal, type FleetAgent, type FleetTask } from "../../src/fleet/index.js";
import { runCli } from "../helpers/cli.js";
import { git, makeRepo, PYTHON, removeTempDirs, tempDir, userView } from "./repo.js";

/**
 * Changes made on purpose by a scripted agent: each entry rewrites, creates (`content`) or deletes
 * (`content: null`) files, to show what the proof does with changes that hide or break tests.
 */
function scriptedAgent(name: string, changes: Array<{ title: string; edits: (read: (path: string) => string | undefined) => Array<{ path: string; content: string | null }> }>): FleetAgent {
  return {
    name,
    description: "test agent",
    plan: () =>
      changes.map((change, index): FleetTask => ({
        id: `${name}-${index}`,
        agent: name,
        title: change.title,
        files: change.edits(() => "").map((edit) => edit.path),
        benefit: changes.length - index,
        findings: [],
      })),
    async apply(task, readFile) {
      return changes[Number(task.id.split("-").pop())]!.edits(readFile);
    },
  };
}

const LIBRARY = {
  "pkg/__init__.py": "",
  "pkg/core.py": 'def double(value):\n    """Twice the value.\n\n    >>> double(2)\n    4\n    """\n    return value * 2\n\n\ndef name():\n    return "core"\n',
  "tests/__init__.py": "",
  "tests/test_core.py": "from pkg.core import name\n\n\ndef test_name():\n    assert name() == 'core'\n\n\ndef test_name_length():\n    assert len(name()) == 4\n",
  // The parameter reads like a URL with a password: the journal stores the id redacted, and the proof must still match it.
  "tests/test_more.py": 'import pytest\n\nfrom pkg.core import double\n\n\ndef test_double_zero():\n    assert double(0) == 0\n\n\n@pytest.mark.parametrize("url", ["http://wiki:pedia@example.org"])\ndef test_url(url):\n    assert "@" in url\n',
};

const harmless = { title: "refactor(pkg.core): reword name", edits: (read: (path: string) => string | undefined) => [{ path: "pkg/core.py", content: (read("pkg/core.py") ?? "").replace('return "core"', "return 'core'") }] };

afterAll(removeTempDirs);

describe("the proof counts every test by id", () => {
  it("fails a change that hides tests from pytest (test_core.py renamed _test_core.py), naming the lost tests, though nothing fails", async () => {
    const root = makeRepo(LIBRARY);
    const agent = scriptedAgent("scripted", [
      {
        title: "refactor(tests): split test_core",
        edits: (read) => [
          { path: "tests/test_core.py", content: null },
          { path: "tests/_test_core.py", content: read("tests/test_core.py") ?? "" },
        ],
      },
      harmless,
    ]);
    const summary = await improve({ path: root, agents: [agent], jobs: 1, python: PYTHON });
    const [hidden, reworded] = summary.tasks;
    expect(hidden!.state).toBe("failed");
    expect(hidden!.reason).toBe("pytest: new failures missing tests/test_core.py::test_name, missing tests/test_core.py::test_name_length");
    expect(hidden!.checks!.find((check) => check.check === "pytest")!.summary).toBe("2 passed, 2 missing");
    expect(reworded!.state).toBe("committed");
    expect(summary.run.baseline!.tests!.succeeded).toEqual([
      "tests/test_core.py::test_name",
      "tests/test_core.py::test_name_length",
      "tests/test_more.py::test_double_zero",
      "tests/test_more.py::test_url[http://wiki:[REDACTED]@example.org]",
    ]);
    expect(summary.run.finalChecks!.find((check) => check.check === "pytest")!.summary).toBe("4 passed");
  });

  it("counts doctests when tox runs pytest --doctest-modules: a change that breaks only a doctest fails", async () => {
    const root = makeRepo({ ...LIBRARY, "tox.ini": "[tox]\nenvlist = py311\n\n[testenv]\ncommands = pytest --doctest-modules {envsitepackagesdir}/pkg {toxinidir}/tests {posargs}\n" });
    const agent = scriptedAgent("scripted", [
      { title: "docs(pkg.core): wrong example", edits: (read) => [{ path: "pkg/core.py", content: (read("pkg/core.py") ?? "").replace("    4\n", "    5\n") }] },
      harmless,
    ]);
    const events: string[] = [];
    const summary = await improve({ path: root, agents: [agent], jobs: 1, python: PYTHON, onEvent: (event) => event.type === "baseline-end" && events.push(JSON.stringify(event.baseline.tests!.command)) });
    expect(JSON.parse(events[0]!)).toEqual({ runner: "pytest", args: ["--doctest-modules", "pkg", "tests"], source: "tox.ini [testenv] commands", pythonPath: [], notes: [] });
    expect(summary.run.baseline!.tests!.succeeded).toContain("pkg/core.py::pkg.core.double");
    expect(summary.tasks[0]!.state).toBe("failed");
    expect(summary.tasks[0]!.reason).toBe("pytest: new failure pkg/core.py::pkg.core.double");
    expect(summary.tasks[1]!.state).toBe("committed");
    const report = readFileSync(summary.reportPath, "utf8");
    expect(report).toContain("Tests: `python -m pytest --doctest-modules pkg tests (tox.ini [testenv] commands)`; 5 of 5 passed at baseline");
  });

  it("proves a unittest-only project with unittest, test by test", async () => {
    const root = makeRepo({
      "pkg/__init__.py": "",
      "pkg/text.py": "def shout(text):\n    return text.upper()\n\n\ndef whisper(text):\n    return text.lower()\n",
      "tests/__init__.py": "",
      "tests/test_text.py": "import unittest\n\nfrom pkg.text import shout, whisper\n\n\nclass TextTest(unittest.TestCase):\n    def test_shout(self):\n        self.assertEqual(shout('a'), 'A')\n\n    def test_whisper(self):\n        self.assertEqual(whisper('A'), 'a')\n",
      Makefile: "test:\n\tpython -m unittest discover -s tests -t . -v\n",
    });
    const agent = scriptedAgent("scripted", [
      { title: "refactor(pkg.text): break whisper", edits: (read) => [{ path: "pkg/text.py", content: (read("pkg/text.py") ?? "").replace("text.lower()", "text") }] },
      { title: "refactor(pkg.text): reword shout", edits: (read) => [{ path: "pkg/text.py", content: (read("pkg/text.py") ?? "").replace("return text.upper()", "return str.upper(text)") }] },
    ]);
    const summary = await improve({ path: root, agents: [agent], jobs: 1, python: PYTHON });
    expect(summary.run.baseline!.tests!.command).toMatchObject({ runner: "unittest", args: ["discover", "-s", "tests", "-t", ".", "-v"], source: "Makefile target test" });
    expect(summary.run.baseline!.tests!.succeeded).toEqual(["tests.test_text.TextTest.test_shout", "tests.test_text.TextTest.test_whisper"]);
    expect(summary.tasks.map((task) => [task.state, task.reason])).toEqual([
      ["failed", "unittest: new failure tests.test_text.TextTest.test_whisper"],
      ["committed", null],
    ]);
  });

  it("proves changes in a src layout out of the box (src on PYTHONPATH, said in the chosen command), even with the tree's package not installed", async () => {
    const root = makeRepo({
      "pyproject.toml": '[project]\nname = "srcpkg"\nversion = "0.1"\n',
      "src/srcpkg/__init__.py": "",
      "src/srcpkg/core.py": "import os\n\n\ndef total(items):\n    return sum(items)\n",
      "tests/test_core.py": "from srcpkg.core import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n",
    });
    const { availableAgents } = await import("../../src/interface/cli/commands/improve.js");
    const summary = await improve({ path: root, agents: availableAgents(), agentNames: ["unused-imports"], jobs: 1, python: PYTHON });
    expect(summary.run.baseline!.tests).toMatchObject({ succeeded: ["tests/test_core.py::test_total"], command: { pythonPath: ["src"], notes: ["src on PYTHONPATH: srcpkg lives in src/ and is not importable otherwise"] } });
    expect(summary.run.baseline!.unproven).toBeNull();
    expect(summary.tasks.map((task) => task.state)).toEqual(["committed"]);
    expect(git(root, "show", `pyagent/${summary.run.id}:src/srcpkg/core.py`)).not.toContain("import os");
  });

  it("in a src layout, a change that breaks the import of a module no test imports fails the import check", async () => {
    const root = makeRepo({
      "pyproject.toml": '[project]\nname = "srcpkg"\nversion = "0.1"\n',
      "src/srcpkg/__init__.py": "",
      "src/srcpkg/core.py": "def total(items):\n    return sum(items)\n",
      "src/srcpkg/untested.py": "def helper():\n    return 2\n",
      "tests/test_core.py": "from srcpkg.core import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n",
    });
    const breaking = { title: "srcpkg.untested: break the import", edits: (read: (path: string) => string | undefined) => [{ path: "src/srcpkg/untested.py", content: `import not_a_module_anywhere\n${read("src/srcpkg/untested.py") ?? ""}` }] };
    const summary = await improve({ path: root, agents: [scriptedAgent("scripted", [breaking])], jobs: 1, python: PYTHON });
    const [task] = summary.tasks;
    expect(task!.state).toBe("failed");
    expect(task!.reason).toContain("import srcpkg.untested");
  });

  it("[tool.pyagent] test-command overrides the project's other commands", async () => {
    const root = makeRepo({
      ...LIBRARY,
      "pyproject.toml": '[tool.pyagent]\ntest-command = "python -m pytest tests/test_more.py"\n',
      "tox.ini": "[testenv]\ncommands = pytest --doctest-modules pkg tests\n",
    });
    const agent = scriptedAgent("scripted", [harmless]);
    const summary = await improve({ path: root, agents: [agent], jobs: 1, python: PYTHON });
    expect(summary.run.baseline!.tests!.command).toEqual({ runner: "pytest", args: ["tests/test_more.py"], source: "[tool.pyagent] test-command in pyproject.toml", pythonPath: [], notes: [] });
    expect(summary.run.baseline!.tests!.succeeded).toEqual(["tests/test_more.py::test_double_zero", "tests/test_more.py::test_url[http://wiki:[REDACTED]@example.org]"]);
  });

  it("reports a test that is flaky at baseline and one that fails once after a change but passes on re-run, and blames neither", async () => {
    const state = tempDir("pyagent-flaky-state-");
    const root = makeRepo({
      ...LIBRARY,
      // Passes iff the marker exists, and toggles it: fails, passes, fails... across runs.
      "tests/test_toggle.py": `import os\n\nMARKER = ${JSON.stringify(join(state, "marker"))}\n\n\ndef test_toggles():\n    present = os.path.exists(MARKER)\n    if present:\n        os.remove(MARKER)\n    else:\n        open(MARKER, "w").close()\n    assert present\n`,
      // Passes on runs 1, 2 (the baseline) and 4 (the re-run), fails on run 3 (the change's run).
      "tests/test_third.py": `import os\n\nCOUNTER = ${JSON.stringify(join(state, "counter"))}\n\n\ndef test_fails_on_third_run():\n    count = int(open(COUNTER).read()) + 1 if os.path.exists(COUNTER) else 1\n    open(COUNTER, "w").write(str(count))\n    assert count != 3\n`,
    });
    const agent = scriptedAgent("scripted", [harmless]);
    // The tests keep their state outside the worktree, which the proof sandbox makes read-only:
    // this test is about the flake accounting, so it runs the checks unconfined.
    const summary = await improve({ path: root, agents: [agent], jobs: 1, python: PYTHON, sandbox: "off" });
    expect(summary.run.baseline!.tests!.flaky).toEqual(["tests/test_toggle.py::test_toggles"]);
    const [task] = summary.tasks;
    expect(task!.state).toBe("committed");
    const proof = task!.checks!.find((check) => check.check === "pytest")!;
    expect(proof.flaky).toEqual(["tests/test_third.py::test_fails_on_third_run"]);
    expect(proof.summary).toBe("4 passed, 1 flaky (passed on re-run)");
    const report = readFileSync(summary.reportPath, "utf8");
    expect(report).toContain("Flaky at baseline (outcome changed between two runs; not blamed on changes): `tests/test_toggle.py::test_toggles`");
    expect(report).toContain("failed once, passed on re-run (flaky, not blamed): `tests/test_third.py::test_fails_on_third_run`");
  });
});

describe("a baseline whose tests cannot run stops the run", () => {
  const BROKEN = {
    ...LIBRARY,
    "tests/test_broken.py": "import not_installed_anywhere\n\n\ndef test_never():\n    pass\n",
  };

  it("collection errors at baseline: exit 5 with what to try, nothing changed, no run branch; --allow-unproven goes on", async () => {
    const root = makeRepo(BROKEN);
    const stopped = await runCli("improve", root, "--python", PYTHON, "--agents", "unused-imports");
    expect(stopped.code, stopped.stderr).toBe(5);
    expect(stopped.stderr).toContain("tests: python -m pytest (default: no test command in [tool.pyagent], tox, nox, Makefile, CI workflows or pytest configuration)\n");
    expect(stopped.stderr).toMatch(
      /pyagent: the project's tests cannot run at the baseline commit: 1 test file could not be collected \(tests\/test_broken.py: ModuleNotFoundError: No module named 'not_installed_anywhere'\); no change could be proven, so nothing was changed\. Try: install the project and its test dependencies for .*, or name the command that runs the tests in \[tool.pyagent\] test-command in pyproject.toml; --allow-unproven goes on with only the other checks\n$/,
    );
    expect(userView(root)).toEqual({ status: "", worktrees: 1, branches: ["main"] });

    const allowed = await runCli("improve", root, "--python", PYTHON, "--agents", "unused-imports", "--allow-unproven", "--format", "json");
    expect(allowed.code, allowed.stderr).toBe(0);
    const report = JSON.parse(allowed.stdout);
    expect(report.baseline.unproven).toMatch(/^1 test file could not be collected/);
    expect(report.baseline.tests.succeeded).toBe(4);
  });

  it("names the exception a test file fails to import with, dotted names included (a package's metadata missing)", async () => {
    const root = makeRepo({ ...LIBRARY, "tests/test_meta.py": 'import importlib.metadata\n\nVERSION = importlib.metadata.version("surely-not-installed-pkg")\n\n\ndef test_version():\n    assert VERSION\n' });
    const stopped = await runCli("improve", root, "--python", PYTHON, "--agents", "unused-imports");
    expect(stopped.code, stopped.stderr).toBe(5);
    expect(stopped.stderr).toContain("(tests/test_meta.py: importlib.metadata.PackageNotFoundError: No package metadata was found for surely-not-installed-pkg)");
  });

  it("no test passes while test files exist (every test skipped): exit 5", async () => {
    const root = makeRepo({ "lib.py": "import os\n", "tests/test_lib.py": "import unittest\n\n\nclass T(unittest.TestCase):\n    @unittest.skip('needs a database')\n    def test_db(self):\n        pass\n" });
    const stopped = await runCli("improve", root, "--python", PYTHON);
    expect(stopped.code, stopped.stderr).toBe(5);
    expect(stopped.stderr).toMatch(/the project's tests cannot run at the baseline commit: no test passed \(1 ran; /);
  });
});

describe("a Python without pytest", () => {
  it("stops with exit 5 and says pytest is missing when unittest cannot run a pytest-style suite", async () => {
    const venv = tempDir("pyagent-nopytest-");
    execFileSync(PYTHON, ["-m", "venv", "--without-pip", venv]);
    const python = join(venv, "bin", "python");
    const root = makeRepo(LIBRARY);
    const stopped = await runCli("improve", root, "--python", python, "--agents", "unused-imports");
    expect(stopped.code, stopped.stderr).toBe(5);
    expect(stopped.stderr).toContain(`tests: python -m unittest (default: unittest discovery (pytest is not installed for ${python}))\n`);
    expect(stopped.stderr).toContain("1 test file could not be collected (tests.test_more: ModuleNotFoundError: No module named 'pytest')");
    expect(stopped.stderr).toContain(`; pytest is not installed for ${python}, so unittest ran them: install pytest if the tests need it; no change could be proven`);
  });
});

describe("runs recorded before tests were counted by id", () => {
  it("are refused loudly on --resume and merge (exit 3), and still listed and shown", async () => {
    const root = makeRepo(LIBRARY);
    const head = git(root, "rev-parse", "HEAD");
    const { store, journal } = openJournal(root);
    journal.createRun({ id: "20250101T000000-old000", root, baseCommit: head, baseBranch: "main", runBranch: "pyagent/20250101T000000-old000", options: { agents: ["unused-imports"], maxChanges: null, mergeThreshold: 50, merge: false, jobs: 1, checkTimeoutMs: 60_000, python: PYTHON, goal: null } });
    // The baseline as PyAgent wrote it before: failures of pytest only, no test ids.
    journal.updateRun("20250101T000000-old000", { phase: "working", baseline: { commit: head, python: PYTHON, checks: [{ check: "pytest", status: "pass", failures: [], summary: "3 passed", passed: 3, milliseconds: 1 }], unavailable: [] } });
    store.close();
    git(root, "branch", "pyagent/20250101T000000-old000");
    const resumed = await runCli("improve", root, "--resume", "20250101T000000-old000", "--python", PYTHON);
    expect(resumed.code).toBe(3);
    expect(resumed.stderr).toBe(
      `pyagent: run 20250101T000000-old000 was recorded by an older PyAgent whose proof did not count tests by id; it cannot be resumed or merged by this one: start a new run (pyagent improve ${root}); its commits stay on pyagent/20250101T000000-old000\n`,
    );
    const merged = await runCli("merge", "20250101T000000-old000", root, "--python", PYTHON);
    expect(merged.code).toBe(3);
    expect(merged.stderr).toMatch(/was recorded by an older PyAgent whose proof did not count tests by id/);
    const listed = await runCli("runs", root);
    expect(listed.stdout).toContain("20250101T000000-old000");
  });
});
