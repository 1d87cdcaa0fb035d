import { afterAll, describe, expect, it } from "vitest";
import { startScriptedServer, type Cassette, type ScriptedServer } from "../../src/providers/index.js";
import { answer, block, configureModels, improveJson, makeRepo, removeTempDirs, showFile } from "./llm-support.js";

const servers: ScriptedServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  removeTempDirs();
});

const FILES = {
  "pkg/__init__.py": "",
  "pkg/text.py": 'def shout(text):\n    return text.upper() + "!"\n',
  "tests/test_text.py": 'from pkg.text import shout\n\n\ndef test_shout():\n    assert shout("a") == "A!"\n',
};
const SHOUT = "def shout(text):";
const QUICK = block("pkg/text.py", SHOUT, `${SHOUT}\n    """Shout it."""`);
const PLANNED = block("pkg/text.py", SHOUT, `${SHOUT}\n    """Return the text in capitals with an exclamation mark."""`);

async function repoWith(interactions: Cassette["interactions"]): Promise<{ root: string; server: ScriptedServer }> {
  const server = await startScriptedServer({ version: 1, mode: "matched", interactions });
  servers.push(server);
  const root = makeRepo(FILES);
  configureModels(root, [{ name: "scripted", url: server.url }]);
  return { root, server };
}

describe("reasoning strategies and swarm mode", () => {
  it("swarm: single and plan-then-act propose in parallel, both prove, and the candidate the reviewer ranks best is committed", { timeout: 40_000 }, async () => {
    const { root } = await repoWith([
      answer("Shout it.", JSON.stringify({ summary: "terse", comments: [], verdict: "approve", score: 3 })),
      answer("with an exclamation mark.", JSON.stringify({ summary: "precise", comments: [], verdict: "approve", score: 9 })),
      answer("short numbered plan", "1. Add a docstring that states the exclamation mark."),
      answer("Carry out this plan now", PLANNED),
      answer("documentation engineer", QUICK),
    ]);
    const run = await improveJson(root, "--agents", "docstrings", "--no-director", "--swarm", "single,plan-then-act");
    expect(run.json.tasks.map((task) => task.state)).toEqual(["committed"]);
    expect(showFile(root, run.json.runBranch, "pkg/text.py")).toContain("with an exclamation mark.");
    const spend = run.json.models!.spend.agents;
    expect(spend.docstrings!.calls).toBe(3); // single, plan, act
    expect(spend.reviewer!.calls).toBe(2); // one review per proven candidate
  });

  it("self-consistency: k candidates are proven and reviewed, a candidate the reviewer rejects is not committed", { timeout: 40_000 }, async () => {
    const { root } = await repoWith([
      answer("strict code reviewer", JSON.stringify({ summary: "the docstring says nothing", comments: [], verdict: "request-changes", score: 1 })),
      answer("documentation engineer", QUICK),
    ]);
    const run = await improveJson(root, "--agents", "docstrings", "--no-director", "--strategy", "self-consistency", "--no-cache");
    expect(run.json.tasks.map((task) => [task.state, task.reason])).toEqual([["rejected", "model review: the docstring says nothing"]]);
    expect(run.json.models!.spend.agents.docstrings!.calls).toBe(3);
    expect(run.json.models!.spend.agents.reviewer!.calls).toBe(3);
  });

  it("single shot does not retry a failed proof; an unknown strategy is a usage error", { timeout: 40_000 }, async () => {
    const { root } = await repoWith([answer("documentation engineer", block("pkg/text.py", 'return text.upper() + "!"', "return text.upper()"))]);
    const run = await improveJson(root, "--agents", "docstrings", "--no-director", "--strategy", "single");
    expect(run.json.tasks.map((task) => task.state)).toEqual(["failed"]);
    expect(run.json.tasks[0]!.reason).toMatch(/^pytest: new failures tests\/test_text.py::test_shout/);
    expect(run.json.models!.spend.agents.docstrings!.calls).toBe(1);
    const bad = await improveJson(root, "--agents", "docstrings", "--strategy", "guess").catch((error: Error) => error);
    expect(String(bad)).toContain("invalid --strategy 'guess'");
  });
});
