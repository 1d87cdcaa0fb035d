import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FIXTURE, git, makeRepo, pytestPassesAt, PYTHON, removeTempDirs, tempDir, userView } from "./repo.js";

const AGENTS = ["--agents", "unused-imports,dead-code"];

afterAll(removeTempDirs);

describe("pyagent improve refuses bad input with one clear line and a documented exit code", () => {
  it("a folder that is not a git repository: exit 2", async () => {
    const root = tempDir("pyagent-norepo-");
    writeFileSync(join(root, "a.py"), "import os\n");
    const result = await runCli("improve", root);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`pyagent: ${root} is not a git repository: run 'git init' and commit your code first\n`);
  });

  it("an unknown agent or a bad flag value: exit 2, nothing written", async () => {
    const root = makeRepo(FIXTURE);
    const agents = await runCli("improve", root, "--agents", "unused-imports,telepathy", "--python", PYTHON);
    expect(agents.code).toBe(2);
    expect(agents.stderr).toBe("pyagent: unknown agent telepathy in --agents (known: unused-imports, unused-variables, dead-code, lazy-imports, split-module)\n");
    const jobs = await runCli("improve", root, "--jobs", "0");
    expect(jobs.code).toBe(2);
    expect(jobs.stderr).toMatch(/invalid --jobs '0': expected an integer >= 1/);
    const unknownRun = await runCli("improve", root, "--resume", "20990101T000000-000000", "--python", PYTHON);
    expect(unknownRun.code).toBe(2);
    expect(unknownRun.stderr).toMatch(/no run 20990101T000000-000000 in .* \(see 'pyagent runs'\)/);
    expect(userView(root)).toEqual({ status: "", worktrees: 1, branches: ["main"] });
  });

  it("a repository without commits: exit 2", async () => {
    const root = makeRepo({ "a.py": "import os\n" }, { commit: false });
    const result = await runCli("improve", root);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pyagent: .*: the repository has no commits yet; commit your code first \(the run starts from HEAD\)\n$/);
    expect(userView(root)).toEqual({ status: "?? a.py", worktrees: 1, branches: [] });
  });

  it("a repository without Python files: exit 2, nothing written", async () => {
    const root = makeRepo({ "README.md": "docs only\n" });
    const result = await runCli("improve", root);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pyagent: .*: no Python files in the last commit \(HEAD [0-9a-f]{12}\); nothing to improve\n$/);
    expect(userView(root)).toEqual({ status: "", worktrees: 1, branches: ["main"] });
  });

  it("no Python on PATH: exit 2 and says how to fix it", async () => {
    const root = makeRepo(FIXTURE);
    const bin = tempDir("pyagent-bin-");
    symlinkSync("/usr/bin/git", join(bin, "git"));
    const saved = { path: process.env.PATH, python: process.env.PYAGENT_PYTHON };
    process.env.PATH = bin;
    delete process.env.PYAGENT_PYTHON;
    try {
      const result = await runCli("improve", root);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe("pyagent: Python not found (tried python3, python on PATH): install Python 3 or pass --python PATH\n");
    } finally {
      process.env.PATH = saved.path;
      if (saved.python !== undefined) process.env.PYAGENT_PYTHON = saved.python;
    }
    const explicit = await runCli("improve", root, "--python", "/nonexistent/python3");
    expect(explicit.code).toBe(2);
    expect(explicit.stderr).toMatch(/Python not found: '\/nonexistent\/python3' does not run/);
    expect(userView(root)).toEqual({ status: "", worktrees: 1, branches: ["main"] });
  });

  it("a check that hangs at baseline is killed after --check-timeout: exit 4, no run branch or worktree left", async () => {
    const root = makeRepo({ ...FIXTURE, "tests/test_hang.py": "import time\n\n\ndef test_hangs():\n    time.sleep(120)\n" });
    const started = Date.now();
    const result = await runCli("improve", root, "--python", PYTHON, "--check-timeout", "2", ...AGENTS);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/pyagent: pytest did not finish within 2 s at the baseline commit; changes cannot be proven: fix the hang or raise --check-timeout\n$/);
    expect(userView(root)).toEqual({ status: "", worktrees: 1, branches: ["main"] });
  });
});

describe("pyagent improve on awkward but valid input", () => {
  it("tests failing at baseline: the run goes on and accepts changes that add no new failure", async () => {
    const root = makeRepo({ ...FIXTURE, "tests/test_broken.py": "def test_already_broken():\n    assert 1 == 2\n" });
    const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, ...AGENTS);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/baseline: compileall ok; pytest fail \(1 failed, 2 passed\)/);
    const report = JSON.parse(result.stdout);
    expect(report.baseline.checks.find((check: { check: string }) => check.check === "pytest").failures).toEqual(["tests/test_broken.py::test_already_broken"]);
    expect(report.tasks.every((task: { state: string }) => task.state === "committed")).toBe(true);
    expect(report.tasks).toHaveLength(3);
    expect(report.finalChecks.find((check: { check: string }) => check.check === "pytest").summary).toBe("1 failed, 2 passed");
  });

  it("pytest is found and run as [tool.pytest.ini_options] configures it (testpaths, python_files); configured pyright that is not installed is reported, not run", async () => {
    const root = makeRepo({
      "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["checks"]\npython_files = ["check_*.py"]\n\n[tool.pyright]\nstrict = ["calc.py"]\n',
      "calc.py": "def add(a, b):\n    return a + b\n",
      "checks/check_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    });
    const result = await runCli("improve", root, "--python", PYTHON, "--agents", "dead-code");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/baseline: compileall ok; pytest 1 passed; pyright skipped: configured but the pyright command is not installed\n/);
  });

  it("a change that makes a check hang is killed at --check-timeout and dropped; the run goes on", async () => {
    const root = makeRepo({
      ...FIXTURE,
      "tests/test_hang_if_changed.py": "import time\nfrom pkg import util\n\n\ndef test_util_keeps_json():\n    if 'import json' not in open(util.__file__).read():\n        time.sleep(120)\n",
    });
    const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, "--check-timeout", "3", ...AGENTS);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const util = report.tasks.find((task: { title: string }) => task.title === "pkg.util: remove 2 unused imports (re, json)");
    expect(util.state).toBe("failed");
    expect(util.reason).toBe("pytest: new failure pytest timed out");
    expect(report.tasks.filter((task: { state: string }) => task.state === "committed")).toHaveLength(2);
    expect(userView(root).worktrees).toBe(1);
  });

  it("a repository path with spaces works end to end", async () => {
    const parent = tempDir("pyagent spaced parent-");
    const root = join(parent, "my project");
    mkdirSync(root);
    const made = makeRepo(FIXTURE);
    git(parent, "clone", "-q", made, "my project");
    git(root, "config", "user.name", "Test User");
    git(root, "config", "user.email", "test@example.com");
    const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, ...AGENTS);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.tasks.filter((task: { state: string }) => task.state === "committed")).toHaveLength(3);
    expect(pytestPassesAt(root, `pyagent/${report.id}`).passed).toBe(true);
    expect(userView(root)).toEqual({ status: "", worktrees: 1, branches: ["main", `pyagent/${report.id}`] });
  });
});
