import { describe, expect, it } from "vitest";
import { DETERMINISTIC_AGENT_NAMES, deterministicAgents } from "./index.js";
import { analysisOf, finding } from "./test-support.js";

/** What every deterministic agent promises the fleet, whatever its codemod. */
describe.each(DETERMINISTIC_AGENT_NAMES)("agent %s", (name) => {
  const agent = deterministicAgents[name];
  const rules = ["unused-import", "unused-variable", "unreachable-code", "oversized-module"] as const;
  const analysis = { ...analysisOf({ "gone/module.py": { module: "gone.module", lines: 900 } }, rules.map((rule) => finding(rule, "gone/module.py", 3, "x"))), root: "/nonexistent-pyagent-root" };

  it("is registered under its own name with a description", () => {
    expect(agent.name).toBe(name);
    expect(agent.description.length).toBeGreaterThan(20);
  });

  it("plans nothing from an empty analysis", () => {
    expect(agent.plan(analysisOf({}, []))).toEqual([]);
  });

  it("plans tasks with a one-line `module: change` subject whose files are relative POSIX paths", () => {
    for (const task of agent.plan(analysis)) {
      expect(task.agent).toBe(name);
      expect(task.title).toMatch(/^[\w.]+: \S[^\n]*$/);
      for (const path of task.files) expect(path).toMatch(/^[^/\\].*\.py$/);
      expect(task.id.startsWith(`${name}-`)).toBe(true);
    }
  });

  it("applies nothing when the task's file is gone", async () => {
    const task = { id: `${name}-x`, agent: name, title: "t", files: ["gone/module.py"], benefit: 1, findings: analysis.findings };
    expect(await agent.apply(task, () => undefined)).toEqual([]);
  });

  it("leaves a file that does not parse alone", async () => {
    const task = { id: `${name}-x`, agent: name, title: "t", files: ["gone/module.py"], benefit: 1, findings: analysis.findings, symbol: "json" };
    expect(await agent.apply(task, () => "import json\ndef broken(:\n    return 1\n")).toEqual([]);
  });
});
