import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  EndpointUnreachableError,
  type ScriptedServer,
  UnknownModelError,
  createChatModelClient,
  parseModelsTable,
  resolveModelChoice,
  startScriptedServer,
} from "./index.js";

let server: ScriptedServer | undefined;
afterEach(async () => server?.close());

const config = parseModelsTable({ local: { provider: "openai-compatible", model: "tiny", "base-url": "http://127.0.0.1:9/v1", tier: "small" } });

describe("--model URL|NAME", () => {
  it("turns a server's base URL into a model entry for the first model it lists", async () => {
    server = await startScriptedServer({ version: 1, models: ["qwen-coder", "other"], interactions: [] });
    const entry = await resolveModelChoice(`${server.url}/`, config);
    expect(entry).toMatchObject({ name: "qwen-coder", provider: "openai-compatible", modelId: "qwen-coder", baseUrl: server.url, tier: "large", price: { inputPerMillion: 0, outputPerMillion: 0 } });
    expect(server.requests[0]).toMatchObject({ method: "GET", path: "/models" });
  });

  it("returns a configured model by name", async () => {
    expect(await resolveModelChoice("local", config)).toBe(config.models[0]);
  });

  it("rejects an unknown name with the configured names, as a usage error (exit 2)", async () => {
    const error = await resolveModelChoice("gpt-9", config).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownModelError);
    expect((error as UnknownModelError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/unknown model "gpt-9": configured models are local/);
  });

  it("rejects an unreachable URL with one clear line (exit 2)", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await resolveModelChoice(`http://127.0.0.1:${port}/v1`, config).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EndpointUnreachableError);
    expect((error as EndpointUnreachableError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(new RegExp(`cannot reach the model server at http://127.0.0.1:${port}/v1 \\(.*ECONNREFUSED.*\\)`));
  });
});

describe("createChatModelClient", () => {
  it("pins the run to --model, else to the configured default, else routes over every model", async () => {
    server = await startScriptedServer({ version: 1, models: ["served"], interactions: [{ response: { text: "pinned" } }] });
    const root = mkdtempSync(join(tmpdir(), "pyagent-client-"));
    try {
      const models = `[tool.pyagent.models.a]\nprovider = "openai-compatible"\nmodel = "a"\nbase-url = "http://127.0.0.1:9/v1"\n\n[tool.pyagent.models.b]\nprovider = "openai-compatible"\nmodel = "b"\nbase-url = "http://127.0.0.1:9/v1"\n`;
      writeFileSync(join(root, "pyproject.toml"), models);
      expect((await createChatModelClient({ root })).models.map((model) => model.name)).toEqual(["a", "b"]);
      expect((await createChatModelClient({ root, model: "b" })).models.map((model) => model.name)).toEqual(["b"]);
      writeFileSync(join(root, "pyproject.toml"), `[tool.pyagent.models]\ndefault = "a"\n\n${models}`);
      expect((await createChatModelClient({ root })).models.map((model) => model.name)).toEqual(["a"]);
      const pinned = await createChatModelClient({ root, model: server.url });
      expect(await pinned.complete({ messages: [{ role: "user", content: "x" }] })).toMatchObject({ text: "pinned", model: "served" });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("lets a model named on the command line serve every tier, even a small-tier one asked for a medium-tier call", async () => {
    server = await startScriptedServer({ version: 1, interactions: [{ response: { text: "medium answered" } }, { response: { text: "large answered" } }] });
    const root = mkdtempSync(join(tmpdir(), "pyagent-client-"));
    try {
      writeFileSync(join(root, "pyproject.toml"), `[tool.pyagent.models.tiny]\nprovider = "openai-compatible"\nmodel = "scripted"\nbase-url = "${server.url}"\ntier = "small"\n`);
      // Routed by tier, a small model cannot take a medium-tier call...
      await expect((await createChatModelClient({ root })).complete({ messages: [{ role: "user", content: "x" }], tier: "medium" })).rejects.toThrow(/no model could serve a medium-tier call/);
      // ...but the user's explicit choice answers every call of the run.
      const named = await createChatModelClient({ root, model: "tiny" });
      expect(await named.complete({ messages: [{ role: "user", content: "x" }], tier: "medium" })).toMatchObject({ text: "medium answered", model: "tiny" });
      expect(await named.complete({ messages: [{ role: "user", content: "y" }], tier: "large" })).toMatchObject({ text: "large answered", model: "tiny" });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
