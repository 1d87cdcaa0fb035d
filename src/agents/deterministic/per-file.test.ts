import { describe, expect, it } from "vitest";
import { deterministicAgents } from "./index.js";
import { analysisOf, finding } from "./test-support.js";

describe("unused-variables and dead-code agents", () => {
  const analysis = analysisOf({ "app/jobs.py": { module: "app.jobs" } }, [
    finding("unused-variable", "app/jobs.py", 2, "unused"),
    finding("unused-variable", "app/jobs.py", 3, "handle"),
    finding("unreachable-code", "app/jobs.py", 5),
  ]);
  const source = "def run(path):\n    unused = 1\n    handle = open(path)\n    return path\n    print('dead')\n";

  it("plans one conventional-commit task per file and rule", () => {
    const variables = deterministicAgents["unused-variables"]!.plan(analysis);
    const dead = deterministicAgents["dead-code"]!.plan(analysis);
    expect(variables.map((task) => [task.title, task.files, task.benefit])).toEqual([["refactor(app.jobs): remove unused variables", ["app/jobs.py"], 2]]);
    expect(dead.map((task) => [task.title, task.files, task.benefit])).toEqual([["refactor(app.jobs): remove unreachable code", ["app/jobs.py"], 1]]);
    expect(variables[0]!.id).not.toBe(dead[0]!.id);
  });

  it("applies both in sequence to the current contents, each a no-op the second time", async () => {
    let content = source;
    for (const name of ["unused-variables", "dead-code"] as const) {
      const agent = deterministicAgents[name]!;
      const task = agent.plan(analysis)[0]!;
      const edits = await agent.apply(task, () => content);
      expect(edits).toHaveLength(1);
      content = edits[0]!.content!;
      expect(await agent.apply(task, () => content)).toEqual([]);
    }
    expect(content).toBe("def run(path):\n    open(path)\n    return path\n");
  });
});

describe("dead-code agent scope", () => {
  it("plans only unreachable code after a jump, not unsatisfiable conditions", () => {
    const analysis = analysisOf({ "m.py": {} }, [finding("unreachable-code", "m.py", 3, "if"), finding("unreachable-code", "m.py", 9, "while")]);
    expect(deterministicAgents["dead-code"].plan(analysis)).toEqual([]);
  });
});
