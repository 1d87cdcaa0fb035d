import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type ScriptedServer, startScriptedServer } from "../../src/providers/index.js";
import { makeTree, runCli } from "../helpers/cli.js";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

async function project(server: ScriptedServer): Promise<string> {
  const root = makeTree({
    "pyproject.toml": `
[tool.pyagent.models.local]
provider = "openai-compatible"
model = "m"
base-url = "${server.url}"
tier = "small"

[tool.pyagent.models.dead]
provider = "openai-compatible"
model = "m"
base-url = "http://127.0.0.1:1/v1"
tier = "medium"
input-price = 0.5
output-price = 1.5

[tool.pyagent.models.claude]
provider = "anthropic"
model = "claude-sonnet-4-5"
tier = "large"
api-key-env = "PYAGENT_TEST_UNSET_KEY"
`,
  });
  cleanup.push(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

describe("pyagent models", () => {
  it("lists configured models with tier, price, key state, health and latency as JSON", async () => {
    const server = await startScriptedServer({ version: 1, models: ["m"], interactions: [] });
    cleanup.push(() => server.close());
    const { code, stdout, stderr } = await runCli("models", await project(server), "--json");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as Array<Record<string, unknown>>;
    expect(rows.map((row) => [row.name, row.tier, row.health])).toEqual([
      ["local", "small", "up"],
      ["dead", "medium", "down"],
      ["claude", "large", "down"],
    ]);
    expect(rows[0]).toMatchObject({ provider: "openai-compatible", inputPricePerMillion: 0, apiKey: "not needed" });
    expect(rows[0]!.latencyMs).toEqual(expect.any(Number));
    expect(rows[1]).toMatchObject({ inputPricePerMillion: 0.5, outputPricePerMillion: 1.5, latencyMs: null, reason: expect.stringMatching(/unreachable/) });
    expect(rows[2]).toMatchObject({ apiKey: "missing", inputPricePerMillion: 3, reason: "no API key: set PYAGENT_TEST_UNSET_KEY" });
  });

  it("prints a table, and adds a server given by --model URL", async () => {
    const server = await startScriptedServer({ version: 1, models: ["served-model"], interactions: [] });
    cleanup.push(() => server.close());
    const root = makeTree({});
    cleanup.push(() => rmSync(root, { recursive: true, force: true }));
    const { code, stdout } = await runCli("models", root, "--model", server.url);
    expect(code).toBe(0);
    expect(stdout).toMatch(/name\s+provider\s+model\s+tier/);
    expect(stdout).toMatch(/served-model\s+openai-compatible\s+served-model\s+large\s+0\s+0\s+not needed\s+up\s+\d+ ms/);
    expect(stdout).toMatch(/up\s+\d+ ms/);
  });

  it("fails with one line and exit 2 for an unknown --model name", async () => {
    const root = makeTree({});
    cleanup.push(() => rmSync(root, { recursive: true, force: true }));
    const { code, stderr } = await runCli("models", root, "--model", "nope");
    expect(code).toBe(2);
    expect(stderr).toBe('pyagent: unknown model "nope": no models are configured in [tool.pyagent.models] (or pass the base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1)\n');
  });
});
