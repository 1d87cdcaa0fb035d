import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/index.js";
import { shopFixture } from "../../python/codemods/split-module/test-fixture.js";
import { PYTHON } from "../../python/codemods/test-support.js";
import { analyzeProject } from "../../python/index.js";
import { DETERMINISTIC_AGENT_NAMES, deterministicAgents } from "./index.js";

const root = mkdtempSync(join(tmpdir(), "pyagent-agents-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const files: Record<string, string> = {
  ...shopFixture(),
  "pkg/__init__.py": "from .core import run\nimport os\n",
  "pkg/core.py": [
    "import os",
    "import readline",
    "import json",
    "from typing import (",
    "    Dict,",
    "    List,  # lists",
    "    Optional,",
    ")",
    "",
    "",
    "def run(items: Optional[list] = None) -> str:",
    '    """Runs."""',
    "    unused = 42",
    "    handle = len(items or [])",
    "    return json.dumps(items or [])",
    '    print("never")',
    "",
    "",
    "def loop(values):",
    "    for value in values:",
    "        if value:",
    "            continue",
    "            print(value)",
    "    return os.sep",
    "",
  ].join("\n"),
  "tests/test_core.py": "from pkg import run\nfrom pkg.core import loop\n\n\ndef test_run():\n    assert run([1]) == '[1]'\n    assert loop([0, 1]) == '/'\n",
};

function writeAll(entries: Record<string, string>): void {
  for (const [path, content] of Object.entries(entries)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(join(root, path), "utf8");
  } catch {
    return undefined;
  }
}

function pytest(): string {
  return execFileSync(PYTHON, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], { cwd: root, encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
}

describe("deterministic agents on a real analysis", () => {
  it("plan from analyzeProject's findings, apply one after another, and the suite still passes", async () => {
    writeAll(files);
    expect(pytest()).toMatch(/6 passed/);
    const config = loadConfig(root, { jobs: 1 });
    const analysis = await analyzeProject(root, { config });
    const planned = DETERMINISTIC_AGENT_NAMES.flatMap((name) => deterministicAgents[name].plan(analysis));
    expect(planned.map((task) => task.title).sort()).toEqual([
      "pkg.core: import json lazily in the functions that use it",
      "pkg.core: remove 2 unreachable blocks (after return, after continue)",
      "pkg.core: remove 2 unused imports (Dict, List)",
      "pkg.core: remove 2 unused variables (unused, handle)",
      "shop.inventory: import json lazily in the functions that use it",
      expect.stringMatching(/^shop\.inventory: split into \d modules \(.+\)$/),
    ]);
    for (const task of planned) {
      const edits = await deterministicAgents[task.agent].apply(task, read);
      expect(edits.length).toBeGreaterThan(0);
      for (const edit of edits) {
        expect(task.files).toContain(edit.path);
        if (edit.content === null) unlinkSync(join(root, edit.path));
        else writeAll({ [edit.path]: edit.content });
      }
    }
    expect(read("pkg/core.py")).toBe(
      [
        "import os",
        "import readline",
        "from typing import (",
        "    Optional,",
        ")",
        "",
        "",
        "def run(items: Optional[list] = None) -> str:",
        '    """Runs."""',
        "    import json",
        "    len(items or [])",
        "    return json.dumps(items or [])",
        "",
        "",
        "def loop(values):",
        "    for value in values:",
        "        if value:",
        "            continue",
        "    return os.sep",
        "",
      ].join("\n"),
    );
    expect(pytest()).toMatch(/6 passed/);

    const again = await analyzeProject(root, { config });
    const left = DETERMINISTIC_AGENT_NAMES.flatMap((name) => deterministicAgents[name].plan(again)).filter((task) => task.agent !== "lazy-imports");
    expect(left).toEqual([]);
  });
});
