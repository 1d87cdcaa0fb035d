// How the real-project benchmark measures (bench/real-projects/): real pytest and unittest runs on
// small temp repositories, read by node id, and commits judged against bench/improve-rubric.md.
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ES modules shared with the benchmark script (no type declarations)
import { commitsBetween, judgeCommit, removesOnly } from "../../bench/real-projects/commits.mjs";
// @ts-expect-error: as above
import { compareSuites, runTestSuite } from "../../bench/real-projects/tests.mjs";
import { git, makeRepo, PYTHON, removeTempDirs, writeFiles } from "./repo.js";

afterAll(removeTempDirs);

const PYTEST = { runner: "pytest", args: [] };
const UNITTEST = { runner: "unittest", args: [] };

function commitAll(root: string, message: string): string {
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", message);
  return git(root, "rev-parse", "HEAD");
}

describe("the benchmark's own test counting", () => {
  it("reads every pytest node id and outcome, and counts a test moved where pytest does not collect it as lost", () => {
    const root = makeRepo({
      "tests/test_a.py": [
        "import pytest",
        "",
        "def test_pass():",
        "    assert True",
        "",
        "@pytest.mark.parametrize('value', [1, 2])",
        "def test_param(value):",
        "    assert value",
        "",
        "def test_fail():",
        "    assert False",
        "",
        "@pytest.mark.xfail",
        "def test_xfail():",
        "    assert False",
        "",
        "@pytest.mark.skip",
        "def test_skip():",
        "    pass",
        "",
      ].join("\n"),
      "tests/test_b.py": "def test_moved():\n    assert True\n\n\ndef test_breaks():\n    assert True\n",
    });
    const before = runTestSuite(root, "HEAD", PYTEST, { python: PYTHON });
    expect(Object.fromEntries(before.outcomes)).toEqual({
      "tests.test_a::test_pass": "passed",
      "tests.test_a::test_param[1]": "passed",
      "tests.test_a::test_param[2]": "passed",
      "tests.test_a::test_fail": "failed",
      "tests.test_a::test_xfail": "xfailed",
      "tests.test_a::test_skip": "skipped",
      "tests.test_b::test_moved": "passed",
      "tests.test_b::test_breaks": "passed",
    });
    expect(before.messages.get("tests.test_a::test_fail")).toMatch(/assert/);
    // what split-module did to sqlparse: the tests move into a file pytest's discovery skips
    git(root, "rm", "-q", "tests/test_b.py");
    writeFiles(root, { "tests/_test_b_part.py": "def test_moved():\n    assert True\n", "tests/test_c.py": "def test_breaks():\n    assert False\n\n\ndef test_new():\n    raise RuntimeError\n" });
    commitAll(root, "move");
    const after = runTestSuite(root, "HEAD", PYTEST, { python: PYTHON });
    const comparison = compareSuites(before.outcomes, after.outcomes);
    expect(comparison.lost.map((test: { id: string }) => test.id).sort()).toEqual(["tests.test_b::test_breaks", "tests.test_b::test_moved"]);
    expect(comparison.newFailures.map((test: { id: string }) => test.id).sort()).toEqual(["tests.test_c::test_breaks", "tests.test_c::test_new"]);
    expect(comparison.reappeared).toBe(0);
    // a test flaky at baseline is not blamed on the change
    expect(compareSuites(before.outcomes, after.outcomes, new Set(["tests.test_b::test_moved"])).lost).toHaveLength(1);
  });

  it("counts a test that moved to another module and passes there as lost from its id, and says it reappeared", () => {
    const before = new Map([
      ["pkg.tools::pkg.tools.Table.render", "passed"],
      ["tests.test_format.TestFormat::test_case", "passed"],
      ["tests.test_format::test_gone", "passed"],
    ]);
    const after = new Map([
      ["pkg.tools.table::pkg.tools.table.Table.render", "passed"],
      ["tests.test_format.test_format.TestFormat::test_case", "passed"],
    ]);
    const comparison = compareSuites(before, after);
    expect(comparison.lost).toHaveLength(3);
    expect(comparison.missing).toBe(3);
    expect(comparison.reappeared).toBe(2);
  });

  it("reads unittest -v output: docstring descriptions, doctests loaded by load_tests, failures", () => {
    const root = makeRepo({
      "pkg/__init__.py": "",
      "pkg/tools.py": 'def double(value):\n    """\n    >>> double(2)\n    4\n    """\n    return value * 2\n\n\ndef triple(value):\n    """\n    >>> triple(2)\n    6\n    """\n    return value * 3\n',
      "tests/__init__.py": "",
      "tests/test_tools.py": [
        "import doctest",
        "import unittest",
        "from pkg import tools",
        "",
        "def load_tests(loader, tests, ignore):",
        "    tests.addTests(doctest.DocTestSuite(tools))",
        "    return tests",
        "",
        "class ToolsTests(unittest.TestCase):",
        "    def test_double(self):",
        '        """Doubling two gives four."""',
        "        self.assertEqual(tools.double(2), 4)",
        "",
        "    def test_wrong(self):",
        "        self.assertEqual(tools.double(2), 5)",
        "",
        "    @unittest.expectedFailure",
        "    def test_expected(self):",
        "        self.assertEqual(1, 2)",
        "",
      ].join("\n"),
    });
    const suite = runTestSuite(root, "HEAD", UNITTEST, { python: PYTHON });
    expect(Object.fromEntries(suite.outcomes)).toEqual({
      "pkg.tools.double": "passed",
      "pkg.tools.triple": "passed",
      "tests.test_tools.ToolsTests.test_double": "passed",
      "tests.test_tools.ToolsTests.test_wrong": "failed",
      "tests.test_tools.ToolsTests.test_expected": "xfailed",
    });
  });
});

describe("the benchmark's commit rubric", () => {
  it("accepts a commit that only removes an unused import, and flags one that drops a defined name, moves a class and edits tests", () => {
    const root = makeRepo({
      "pkg/__init__.py": "",
      "pkg/core.py": "import os\nfrom json import dumps, loads\n\n_SENTINEL = object()\n\n\nclass Thing:\n    pass\n\n\ndef encode(value):\n    return dumps(value)\n",
      "tests/test_core.py": "from pkg.core import encode\n\n\ndef test_encode():\n    assert encode(1) == '1'\n",
    });
    const base = git(root, "rev-parse", "HEAD");
    writeFiles(root, { "pkg/core.py": "from json import dumps\n\n_SENTINEL = object()\n\n\nclass Thing:\n    pass\n\n\ndef encode(value):\n    return dumps(value)\n" });
    git(root, "add", "-A");
    git(root, "commit", "-q", "-m", "chore: remove unused imports\n\nPyAgent-Agent: unused-imports\nPyAgent-Task: t1");
    git(root, "rm", "-q", "pkg/core.py");
    writeFiles(root, {
      "pkg/core/__init__.py": "from json import dumps\nfrom pkg.core.things import Thing\n\n\ndef encode(value):\n    return dumps(value)\n",
      "pkg/core/things.py": "class Thing:\n    pass\n",
      "tests/test_core.py": "from pkg.core import encode\n\n\ndef test_encode():\n    assert encode(2) == '2'\n",
    });
    git(root, "add", "-A");
    git(root, "commit", "-q", "-m", "refactor: split\n\nPyAgent-Agent: split-module\nPyAgent-Task: t2");
    const [imports, split] = commitsBetween(root, base, "HEAD").map((commit: object) => judgeCommit(root, commit, PYTHON));
    expect(imports).toMatchObject({ kind: "unused-imports", highPrecision: true, removesOnly: true, verdict: "accept", risks: [] });
    expect(split).toMatchObject({ kind: "split-module", highPrecision: false, removesOnly: false, verdict: "risk" });
    expect(split.names.ownRemoved).toEqual(["pkg.core._SENTINEL"]);
    expect(split.names.classesMoved).toEqual(["pkg.core.Thing → pkg.core.things"]);
    expect(split.testsTouched).toEqual(["tests/test_core.py"]);
  });

  it("counts a diff as removal-only when the added lines reuse removed tokens, not when they bring new ones", () => {
    const hunk = (removed: string[], added: string[]) => ["@@ -1 +1 @@", ...removed.map((line) => `-${line}`), ...added.map((line) => `+${line}`)].join("\n");
    expect(removesOnly(hunk(["from a import (b,", "    c)"], ["from a import b"]))).toBe(true);
    expect(removesOnly(hunk(["    value = compute()"], ["    compute()"]))).toBe(true);
    expect(removesOnly(hunk(["    return x", "    print('never')"], []))).toBe(true);
    expect(removesOnly(hunk(["import re"], ["    def f():", "        import re"]))).toBe(false);
    expect(removesOnly(`--- /dev/null\n+++ b/new.py\n${hunk([], ["x = 1"])}`)).toBe(false);
  });
});
