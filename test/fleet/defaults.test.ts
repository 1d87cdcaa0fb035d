import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { makeRepo, pytestPassesAt, PYTHON, removeTempDirs } from "./repo.js";

afterAll(removeTempDirs);

const CORE = [
  "import asyncio",
  "import re",
  "",
  "",
  "def total(items):",
  "    count = len(items)",
  "    return sum(items)",
  "    print('never')",
  "",
  "",
  "def run(coroutine):",
  "    return asyncio.run(coroutine)",
  "",
].join("\n");

/** Over 1.2 times the 40-line limit, in two unrelated groups. */
function big(prefix: string): string {
  const lines: string[] = [];
  for (let index = 0; index < 8; index++) lines.push(`def ${prefix}_alpha_${index}(value):`, `    return value + ${index}`, "", "");
  for (let index = 0; index < 8; index++) lines.push(`def ${prefix}_beta_${index}(text):`, `    return text * ${index}`, "", "");
  return lines.join("\n");
}

function repository(): string {
  return makeRepo({
    "pyproject.toml": "[tool.pyagent]\nmax-module-lines = 40\n",
    "pkg/__init__.py": "",
    "pkg/core.py": CORE,
    "pkg/big.py": big("big"),
    "tests/__init__.py": "",
    "tests/test_core.py": "import os\n\nfrom pkg.core import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n",
    "tests/test_big.py": `from pkg.big import big_alpha_1\n\n\ndef test_big():\n    assert big_alpha_1(1) == 2\n\n\n${big("check")}`,
  });
}

interface PlannedTask {
  agent: string;
  title: string;
  files: string[];
}

async function plan(root: string, ...options: string[]): Promise<PlannedTask[]> {
  const result = await runCli("improve", root, "--dry-run", "--format", "json", "--python", PYTHON, ...options);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { tasks: PlannedTask[] }).tasks;
}

describe("improve's default agents: only changes a maintainer accepts without discussion", () => {
  it("plans only unused imports, unused variables and unreachable code by default; a test file gets only those", async () => {
    const root = repository();
    const tasks = await plan(root);
    expect(new Set(tasks.map((task) => task.agent))).toEqual(new Set(["unused-imports", "unused-variables", "dead-code"]));
    expect(tasks.map((task) => task.title).sort()).toEqual([
      "pkg.core: remove 1 unreachable block (after return)",
      "pkg.core: remove 1 unused import (re)",
      "pkg.core: remove 1 unused variable (count)",
      "tests.test_core: remove 1 unused import (os)",
    ]);
  });

  it("plans split-module and lazy-imports only when named, never for a test module", async () => {
    const root = repository();
    const tasks = await plan(root, "--agents", "split-module,lazy-imports");
    expect(tasks.map((task) => [task.agent, task.files[0]]).sort()).toEqual([
      ["lazy-imports", "pkg/core.py"],
      ["split-module", "pkg/big.py"],
    ]);
  });

  it("commits only the three kinds in a real run, and the suite still passes on the run branch", async () => {
    const root = repository();
    const result = await runCli("improve", root, "--format", "json", "--python", PYTHON);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { id: string; tasks: Array<PlannedTask & { state: string }> };
    const committed = report.tasks.filter((task) => task.state === "committed");
    expect(committed.length).toBe(4);
    for (const task of committed) expect(["unused-imports", "unused-variables", "dead-code"]).toContain(task.agent);
    expect(pytestPassesAt(root, `pyagent/${report.id}`).passed).toBe(true);
  });
});

describe("improve --help", () => {
  it("says which agents run by default and why the others are opt-in", async () => {
    const help = await runCli("improve", "--help");
    const text = help.stdout.replace(/\s+/g, " ");
    expect(text).toContain("Default: unused-imports, unused-variables, dead-code (changes a maintainer accepts without discussion)");
    expect(text).toContain("opt-in: lazy-imports, split-module (they reshape code or trade import time, so only when named)");
  });
});
