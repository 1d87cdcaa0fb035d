import { afterAll, describe, expect, it } from "vitest";
import { createDirector, ModelSession, type AgentTask } from "../../src/agents/llm/index.js";
import { Budget, parseModelsTable, resolveModelChoice, Router, startScriptedServer, type ScriptedServer } from "../../src/providers/index.js";
import type { ProjectAnalysis } from "../../src/python/index.js";

const servers: ScriptedServer[] = [];
afterAll(async () => Promise.all(servers.map((server) => server.close())));

const candidate = (agent: string, file: string, benefit: number): AgentTask => ({ id: `${agent}-${file}`, agent, title: `${agent} ${file}`, files: [file], benefit, findings: [] });
const CANDIDATES = [candidate("docstrings", "a.py", 1), candidate("refactor", "b.py", 5), candidate("tests", "tests/test_c.py", 2)];
const ANALYSIS = { findings: [{ rule: "complexity-hotspot", path: "b.py", line: 3, message: "f has complexity 14", confidence: 100 }] } as unknown as ProjectAnalysis;

async function directorReplying(reply: string) {
  const server = await startScriptedServer({ version: 1, mode: "matched", interactions: [{ response: { text: reply, usage: { prompt_tokens: 10, completion_tokens: 10 } } }] });
  servers.push(server);
  const budget = new Budget({});
  const fallbacks: string[] = [];
  const session = new ModelSession({ client: new Router({ models: [await resolveModelChoice(server.url, parseModelsTable({}))], budget }), budget, maxOutputTokens: 200 });
  return { direct: createDirector({ session, onFallback: (reason) => fallbacks.push(reason) }), fallbacks, server };
}

describe("the LLM director", () => {
  it("orders and re-scores the candidates it picks, by id or by agent and files, and drops what it does not pick", async () => {
    const { direct, fallbacks, server } = await directorReplying(
      JSON.stringify({ tasks: [{ candidate: "tests-tests/test_c.py", agent: "tests", benefit: 40, estimatedCostUsd: 0.002, rationale: "untested" }, { agent: "refactor", files: ["b.py"], benefit: 30 }] }),
    );
    const plan = await direct(CANDIDATES, ANALYSIS, "more tests");
    expect(plan.map((task) => [task.id, task.benefit])).toEqual([["tests-tests/test_c.py", 40], ["refactor-b.py", 30]]);
    expect(plan[0]).toMatchObject({ estimatedCostUsd: 0.002, rationale: "untested" });
    expect(fallbacks).toEqual([]);
    const prompt = JSON.stringify(server.requests.at(-1)?.body);
    expect(prompt).toContain("Goal: more tests");
    expect(prompt).toContain("b.py:3 complexity-hotspot: f has complexity 14");
  });

  it("cannot widen the run's scope: invented agents, files and paths are ignored, and an empty plan keeps the agents' own", async () => {
    const { direct, fallbacks } = await directorReplying(
      JSON.stringify({ tasks: [{ agent: "shell", files: ["../../etc/passwd"], benefit: 99 }, { agent: "docstrings", files: ["/etc/hosts"], benefit: 50 }, { candidate: "nope", agent: "refactor", files: ["a.py"] }] }),
    );
    expect(await direct(CANDIDATES, ANALYSIS, null)).toEqual(CANDIDATES);
    expect(fallbacks).toEqual(["director: the plan named no candidate task"]);
  });

  it("keeps the agents' plan when the budget cannot pay for the director's call", async () => {
    const server = await startScriptedServer({ version: 1, interactions: [] });
    servers.push(server);
    const budget = new Budget({ tokens: 10 });
    const session = new ModelSession({ client: new Router({ models: [await resolveModelChoice(server.url, parseModelsTable({}))], budget }), budget, maxOutputTokens: 200 });
    const fallbacks: string[] = [];
    expect(await createDirector({ session, onFallback: (reason) => fallbacks.push(reason) })(CANDIDATES, ANALYSIS, null)).toEqual(CANDIDATES);
    expect(fallbacks[0]).toMatch(/^director: budget: the next model call .* could exceed --token-budget 10/);
    expect(server.requests.filter((request) => request.method === "POST")).toHaveLength(0);
  });
});
