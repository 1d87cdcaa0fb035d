import { afterAll, describe, expect, it } from "vitest";
import { createLlmAgent, ModelSession, type AgentTask } from "../../src/agents/llm/index.js";
import { registerSecret } from "../../src/observability/index.js";
import { Budget, parseModelsTable, resolveModelChoice, Router, startScriptedServer, type ScriptedServer } from "../../src/providers/index.js";

const servers: ScriptedServer[] = [];
afterAll(async () => Promise.all(servers.map((server) => server.close())));

describe("an LLM agent's prompt", () => {
  it("holds no part of a known secret that sits where the file shown to the model is cut", async () => {
    const key = `cnycut${"0123456789abcdef".repeat(2)}`;
    registerSecret(key);
    // The file is cut at 24,000 characters: the key starts 10 characters before the cut.
    const content = `# ${"x".repeat(24_000 - 10 - 2)}${key}\ndef f():\n    return 1\n`;
    expect(content.indexOf(key)).toBe(24_000 - 10);
    const server = await startScriptedServer({ version: 1, interactions: [{ response: { text: "no edits" } }] });
    servers.push(server);
    const budget = new Budget({});
    const session = new ModelSession({ client: new Router({ models: [await resolveModelChoice(server.url, parseModelsTable({}))], budget }), budget, maxOutputTokens: 100 });
    const agent = createLlmAgent("docstrings", { session });
    const task = { id: "docs-big", agent: "docstrings", title: "docs(big)", files: ["big.py"], benefit: 1, findings: [], detail: "f" } as unknown as AgentTask;
    await agent.apply(task, (path) => (path === "big.py" ? content : undefined));
    const sent = JSON.stringify(server.requests.filter((request) => request.method === "POST").map((request) => request.body));
    expect(sent).toContain("cut at 24000 characters");
    expect(sent).not.toContain(key.slice(0, 10));
  });
});
