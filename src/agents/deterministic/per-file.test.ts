import { describe, expect, it } from "vitest";
import { deterministicAgents } from "./index.js";
import { subject, taskId } from "./planning.js";
import { analysisOf, finding } from "./test-support.js";

describe("unused-variables and dead-code agents", () => {
  const analysis = analysisOf({ "app/jobs.py": { module: "app.jobs" } }, [
    finding("unused-variable", "app/jobs.py", 2, "unused"),
    finding("unused-variable", "app/jobs.py", 3, "handle"),
    finding("unreachable-code", "app/jobs.py", 5, "return"),
  ]);
  const source = "def run(path):\n    unused = 1\n    handle = open(path)\n    return path\n    print('dead')\n";

  it("plans one task per file and rule, with a one-line subject naming what it removes", () => {
    const variables = deterministicAgents["unused-variables"]!.plan(analysis);
    const dead = deterministicAgents["dead-code"]!.plan(analysis);
    expect(variables.map((task) => [task.title, task.files, task.benefit])).toEqual([["app.jobs: remove 2 unused variables (unused, handle)", ["app/jobs.py"], 2]]);
    expect(dead.map((task) => [task.title, task.files, task.benefit])).toEqual([["app.jobs: remove 1 unreachable block (after return)", ["app/jobs.py"], 1]]);
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

describe("commit subjects", () => {
  it("group one rule's findings in one file into one subject, listing names while it fits in 72 characters", () => {
    expect(subject("boltons.iterutils", "remove", 3, "unused import", ["re", "codecs", "itertools"])).toBe("boltons.iterutils: remove 3 unused imports (re, codecs, itertools)");
    expect(subject("pkg.mod", "remove", 1, "unused variable", ["x", "x"])).toBe("pkg.mod: remove 1 unused variable (x)");
    const many = Array.from({ length: 30 }, (_, index) => `name_${index}`);
    const long = subject("boltons.iterutils", "remove", 30, "unused import", many);
    expect(long.length).toBeLessThanOrEqual(72);
    expect(long).toMatch(/^boltons\.iterutils: remove 30 unused imports \(name_0, name_1(, name_\d+)*, \.\.\.\)$/);
  });

  it("plan one unused-imports task per module for many findings in it, with an id that does not depend on the subject", () => {
    const findings = ["re", "codecs", "itertools"].map((name, index) => finding("unused-import", "boltons/iterutils.py", index + 1, name));
    const tasks = deterministicAgents["unused-imports"].plan(analysisOf({ "boltons/iterutils.py": {} }, findings));
    expect(tasks.map((task) => task.title)).toEqual(["boltons.iterutils: remove 3 unused imports (re, codecs, itertools)"]);
    expect(tasks[0]!.id).toBe(taskId("unused-imports", ["boltons/iterutils.py"], findings));
  });
});
