import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderChat } from "../../src/engine/chat/index.js";
import { createModelFile } from "../../src/engine/model-file/index.js";
import { type LoadedModel, loadModel } from "../../src/engine/runtime/index.js";
import { type EngineServer, createEngineServer } from "../../src/engine/server/index.js";
import { loadTokenizer } from "../../src/engine/tokenizer/index.js";
import { ConnectivityManager, Router, parseModelsTable, resolveModelChoice } from "../../src/providers/index.js";

let directory: string;
let model: LoadedModel;
let server: EngineServer;
let url: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "pyagent-providers-engine-"));
  const path = join(directory, "tiny.gguf");
  createModelFile({ out: path, preset: "tiny", dtype: "f32", seed: 7 });
  model = loadModel(path, { threads: 1 });
  const tokenizer = loadTokenizer(model.file);
  server = createEngineServer({ model, tokenizer, modelId: "tiny", renderChat: (messages) => renderChat(model.file, messages, { addGenerationPrompt: true }) });
  url = `${await server.listen(0)}/v1`;
});

afterAll(async () => {
  await server?.close();
  model?.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("PyAgent's own engine server through the openai-compatible adapter", () => {
  it("is found by --model URL, probed healthy, and answers the same text streamed or not", async () => {
    const entry = await resolveModelChoice(url, parseModelsTable({}));
    expect(entry).toMatchObject({ name: "tiny", modelId: "tiny", baseUrl: url });
    const connectivity = new ConnectivityManager();
    expect(await connectivity.probe(entry)).toMatchObject({ state: "up" });
    const router = new Router({ models: [entry], connectivity });
    const request = { messages: [{ role: "user" as const, content: "Once upon a time" }], maxOutputTokens: 8, temperature: 0, noCache: true };

    const reply = await router.complete(request);
    expect(reply).toMatchObject({ model: "tiny", provider: "openai-compatible", cached: false, costUsd: 0 });
    expect(reply.usage.inputTokens).toBeGreaterThan(0);
    expect(reply.usage.outputTokens).toBeGreaterThan(0);
    expect(reply.usage.outputTokens).toBeLessThanOrEqual(8);
    expect(reply.usageEstimated).toBe(false);

    let streamed = "";
    let finish: unknown;
    for await (const event of router.stream(request)) {
      if (event.type === "text-delta") streamed += event.text;
      else finish = event;
    }
    expect(streamed).toBe(reply.text);
    expect(finish).toMatchObject({ type: "finish", usage: reply.usage, model: "tiny" });
  });
});
