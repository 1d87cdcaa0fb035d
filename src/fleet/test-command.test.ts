import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../core/index.js";
import { describeTestCommand, findTestCommand } from "./test-command.js";
import { shellCommands, testInvocation } from "./test-invocation.js";

const made: string[] = [];
afterAll(() => made.forEach((path) => rmSync(path, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "pyagent-testcmd-"));
  made.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const LAYOUT = { "boltons/__init__.py": "", "tests/test_a.py": "def test_a():\n    pass\n" };

describe("finding the project's own test command", () => {
  it("adopts boltons' tox command with its doctests, mapping tox's site-packages path to the package in the tree", () => {
    const root = project({
      ...LAYOUT,
      "tox.ini": "[tox]\nenvlist = py37,py311\n\n[testenv]\nchangedir = .tox\ncommands = pytest --doctest-modules {env_site_packages_dir}/boltons {tox_root}/tests {posargs}\n",
      "pyproject.toml": "[tool.pytest.ini_options]\ndoctest_optionflags = ['ELLIPSIS']\n",
    });
    const found = findTestCommand(root)!;
    expect(found).toEqual({ runner: "pytest", args: ["--doctest-modules", "boltons", "tests"], source: "tox.ini [testenv] commands", notes: [] });
    expect(describeTestCommand({ ...found, pythonPath: [] })).toBe("python -m pytest --doctest-modules boltons tests (tox.ini [testenv] commands)");
  });

  it("reads click's native tox TOML: options keep their dashes, an option PyAgent drops may hold a tox-only substitution", () => {
    const root = project({
      "src/click/__init__.py": "",
      "tests/test_a.py": "def test_a():\n    pass\n",
      "pyproject.toml": [
        "[tool.tox.env_run_base]",
        'commands = [[',
        '    "pytest", "-v", "--tb=short", "--basetemp={env_tmp_dir}",',
        '    {replace = "posargs", default = [], extend = true},',
        "]]",
        "",
      ].join("\n"),
    });
    expect(findTestCommand(root)).toMatchObject({ runner: "pytest", args: ["-v", "--tb=short"], source: "pyproject.toml [tool.tox.env_run_base] commands" });
  });

  it("skips a tox.ini command whose kept arguments need a value only tox knows, and drops --basetemp with its substitution", () => {
    const root = project({
      ...LAYOUT,
      "tox.ini": "[testenv]\ncommands =\n    pytest {envtmpdir}/extra\n    pytest --basetemp={envtmpdir} tests\n",
    });
    expect(findTestCommand(root)).toMatchObject({ runner: "pytest", args: ["tests"], source: "tox.ini [testenv] commands" });
  });

  it("reads sqlparse's Makefile test target through `uv run` and its options", () => {
    const root = project({
      ...LAYOUT,
      Makefile: "PYTHON=`which python`\n\ndefault: help\n\ntest:\n\tuv run --group dev --python 3.10 pytest tests/\n\tuv run --group dev --python 3.11 pytest tests/\n\nlint:\n\tuv run ruff check\n",
    });
    expect(findTestCommand(root)).toMatchObject({ runner: "pytest", args: ["tests"], source: "Makefile target test" });
  });

  it("uses unittest where the project does (more-itertools' `python -m unittest`), with make variables for the interpreter", () => {
    const root = project({ ...LAYOUT, Makefile: "PYTHON ?= python3\n.PHONY: test\ntest:\n\t@$(PYTHON) -m unittest discover -s tests -t . -f\n" });
    expect(findTestCommand(root)).toMatchObject({ runner: "unittest", args: ["discover", "-s", "tests", "-t", "."], notes: ["dropped -f"] });
  });

  it("finds a CI workflow step, dropping coverage and options that write outside the tree or stop early", () => {
    const root = project({
      ...LAYOUT,
      ".github/workflows/ci.yml": [
        "jobs:",
        "  test:",
        "    steps:",
        "      - run: pip install -e .",
        "      - name: Test",
        "        run: |",
        "          echo ${{ matrix.python }}",
        "          coverage run --source=boltons -m pytest -x --junitxml=/tmp/out.xml --cov boltons -p no:randomly tests/",
      ].join("\n"),
    });
    expect(findTestCommand(root)).toEqual({
      runner: "pytest",
      args: ["-p", "no:randomly", "tests"],
      source: ".github/workflows/ci.yml",
      notes: ["dropped coverage run", "dropped -x", "dropped --junitxml=/tmp/out.xml", "dropped --cov boltons"],
    });
  });

  it("reads literal arguments of a nox session", () => {
    const root = project({ ...LAYOUT, "noxfile.py": 'import nox\n\n@nox.session\ndef tests(session):\n    session.install(".")\n    session.run("pytest", "--doctest-modules", "boltons", *session.posargs)\n' });
    expect(findTestCommand(root)).toMatchObject({ runner: "pytest", args: ["--doctest-modules", "boltons"], source: "noxfile.py session.run" });
  });

  it("[tool.pyagent] test-command overrides every other source; one that is not pytest or unittest is a config error", () => {
    const root = project({ ...LAYOUT, "tox.ini": "[testenv]\ncommands = pytest tests\n", "pyproject.toml": '[tool.pyagent]\ntest-command = "python -m pytest -k \'not slow\' tests"\n' });
    expect(findTestCommand(root)).toEqual({ runner: "pytest", args: ["-k", "not slow", "tests"], source: "[tool.pyagent] test-command in pyproject.toml", notes: [] });
    const bad = project({ ...LAYOUT, "pyproject.toml": '[tool.pyagent]\ntest-command = "make test"\n' });
    expect(() => findTestCommand(bad)).toThrow(ConfigError);
    expect(() => findTestCommand(bad)).toThrow(/invalid tool.pyagent.test-command in pyproject.toml: expected a pytest or unittest command/);
  });

  it("never adopts shell: pipes, substitutions, scripts; paths outside the tree are dropped", () => {
    expect(shellCommands("pytest tests | tee log")).toBeNull();
    expect(shellCommands("pytest $(cat args)")).toBeNull();
    expect(shellCommands("cd docs && make html; pytest -q")).toEqual([["cd", "docs"], ["make", "html"], ["pytest", "-q"]]);
    expect(testInvocation(["python", "setup.py", "test"])).toBeNull();
    expect(testInvocation(["python", "-c", "import pytest; pytest.main()"])).toBeNull();
    expect(testInvocation(["tox", "-e", "py311"])).toBeNull();
    const root = project({ ...LAYOUT, "tox.ini": "[testenv]\ncommands = pytest /etc ../elsewhere tests\n" });
    expect(findTestCommand(root)).toMatchObject({ args: ["tests"], notes: ["dropped /etc (outside the repository)", "dropped ../elsewhere (outside the repository)"] });
  });

  it("falls back to pytest's own configuration, and to nothing when the project says nothing", () => {
    expect(findTestCommand(project({ ...LAYOUT, "setup.cfg": "[tool:pytest]\naddopts = --doctest-modules\n" }))).toMatchObject({ runner: "pytest", args: [], source: "pytest is configured in setup.cfg [tool:pytest]" });
    expect(findTestCommand(project(LAYOUT))).toBeNull();
  });
});
