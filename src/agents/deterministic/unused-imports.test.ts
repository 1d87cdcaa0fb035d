import { describe, expect, it } from "vitest";
import { deterministicAgents } from "./index.js";
import { analysisOf, finding } from "./test-support.js";

const agent = deterministicAgents["unused-imports"]!;

describe("unused-imports agent", () => {
  const findings = [
    finding("unused-import", "pkg/core.py", 1, "os"),
    finding("unused-import", "pkg/core.py", 2, "json"),
    finding("unused-import", "pkg/util.py", 1, "re"),
    finding("unused-import", "pkg/__init__.py", 1, "core"),
    finding("unused-import", "tests/conftest.py", 1, "database"),
    finding("unused-variable", "pkg/core.py", 5, "x"),
  ];
  const analysis = analysisOf({ "pkg/core.py": {}, "pkg/util.py": {}, "pkg/__init__.py": {} }, findings);

  it("plans one task per file, most findings first, never for __init__.py or conftest.py, with stable ids", () => {
    const tasks = agent.plan(analysis);
    expect(tasks.map((task) => [task.title, task.files, task.benefit])).toEqual([
      ["pkg.core: remove 2 unused imports (os, json)", ["pkg/core.py"], 2],
      ["pkg.util: remove 1 unused import (re)", ["pkg/util.py"], 1],
    ]);
    expect(agent.plan(analysis).map((task) => task.id)).toEqual(tasks.map((task) => task.id));
    expect(new Set(tasks.map((task) => task.id)).size).toBe(2);
  });

  it("applies against the current file and returns nothing once the imports are gone", async () => {
    const task = agent.plan(analysis)[0]!;
    const files = new Map([["pkg/core.py", "import os\nimport json\nimport sys\n\nprint(sys.path)\n"]]);
    const edits = await agent.apply(task, (path) => files.get(path));
    expect(edits).toEqual([{ path: "pkg/core.py", content: "import sys\n\nprint(sys.path)\n" }]);
    files.set("pkg/core.py", edits[0]!.content!);
    expect(await agent.apply(task, (path) => files.get(path))).toEqual([]);
    expect(await agent.apply(task, () => undefined)).toEqual([]);
  });

  it("re-checks the file: an import that became used is kept", async () => {
    const task = agent.plan(analysis)[0]!;
    const source = "import os\nimport json\n\nprint(os.sep, json.dumps(1))\n";
    expect(await agent.apply(task, () => source)).toEqual([]);
  });
});

describe("unused-imports agent and other modules", () => {
  it("leaves an import that another module imports from this one", () => {
    const analysis = analysisOf(
      {
        "pkg/util.py": { module: "pkg.util" },
        "pkg/app.py": { module: "pkg.app", imports: [{ module: ".util", level: 1, names: ["json"], bound: ["json"], line: 1, conditional: false }] },
      },
      [finding("unused-import", "pkg/util.py", 1, "json"), finding("unused-import", "pkg/util.py", 2, "re")],
    );
    const tasks = agent.plan(analysis);
    expect(tasks.map((task) => task.findings.map((item) => item.symbol))).toEqual([["re"]]);
  });
});
