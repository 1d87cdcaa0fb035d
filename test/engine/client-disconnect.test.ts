import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderChat } from "../../src/engine/chat/index.js";
import { createModelFile } from "../../src/engine/model-file/index.js";
import { type LoadedModel, loadModel } from "../../src/engine/runtime/index.js";
import { type EngineServer, createEngineServer } from "../../src/engine/server/index.js";
import { type Tokenizer, loadTokenizer } from "../../src/engine/tokenizer/index.js";
import { createLogger } from "../../src/observability/index.js";

/** A client that goes away mid-request is normal: one info line, no error, no stack, and its generation stops. */
let directory: string;
let model: LoadedModel;
let tokenizer: Tokenizer;
let server: EngineServer;
let url: string;
const logLines: string[] = [];
let noStop: Record<string, number>;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "pyagent-disconnect-"));
  const path = join(directory, "tiny.gguf");
  createModelFile({ out: path, preset: "tiny", dtype: "f32", seed: 5, contextLength: 8192 });
  model = loadModel(path, { threads: 1 });
  tokenizer = loadTokenizer(model.file);
  noStop = Object.fromEntries([...tokenizer.stopTokens].map((id) => [String(id), -100]));
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split("\n").filter((line) => line.trim() !== ""));
      done();
    },
  });
  server = createEngineServer({
    model,
    tokenizer,
    modelId: "tiny",
    renderChat: (messages) => renderChat(model.file, messages, { addGenerationPrompt: true }),
    logger: createLogger({ name: "engine-server", level: "debug", destination }),
    batching: { kvBlocks: 1024 },
  });
  url = await server.listen(0);
});

afterAll(async () => {
  await server?.close();
  model?.close();
  rmSync(directory, { recursive: true, force: true });
});

interface Health {
  live_sequences: number;
  active_choices: number;
  aborted_requests: number;
}

async function health(): Promise<Health> {
  return (await (await fetch(`${url}/health`)).json()) as Health;
}

async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`timed out waiting until ${what}`);
}

function records(): Array<Record<string, unknown>> {
  return logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("a client that disconnects", () => {
  it("mid-upload: logged as one info line, no error or stack", async () => {
    logLines.length = 0;
    const { port } = new URL(url);
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise((done) => socket.once("connect", done));
    socket.write(`POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"model": "tiny", "prompt": "Once`);
    await new Promise((done) => setTimeout(done, 100));
    socket.destroy();
    await waitUntil(async () => records().some((record) => record.msg === "client disconnected"), "the disconnect is logged");
    expect(records().find((record) => record.msg === "client disconnected")).toMatchObject({ level: 30, path: "/v1/completions" });
    expect(records().filter((record) => (record.level as number) >= 40)).toEqual([]);
    expect(logLines.join("\n")).not.toMatch(/stack|Error:/);
  });

  it("mid-stream: logged as one info line with the request id and tokens, no error or stack, and its generation stops", async () => {
    const before = await health();
    logLines.length = 0;
    const controller = new AbortController();
    const response = await fetch(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", prompt: "Once upon a time", max_tokens: 8000, temperature: 0, stream: true, logit_bias: noStop }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while ((text.match(/^data: /gm) ?? []).length < 5) text += decoder.decode((await reader.read()).value);
    const id = /"id":"(cmpl-[0-9a-f]+)"/.exec(text)?.[1];
    controller.abort();

    await waitUntil(async () => (await health()).aborted_requests === before.aborted_requests + 1, "the server counts the abort");
    expect(await health()).toMatchObject({ live_sequences: 0, active_choices: 0 });
    await waitUntil(async () => records().some((record) => record.msg === "client disconnected; generation stopped"), "the disconnect is logged");
    const line = records().find((record) => record.msg === "client disconnected; generation stopped")!;
    expect(line).toMatchObject({ level: 30, request: id, stream: true });
    expect(line.tokens).toBeGreaterThanOrEqual(5);
    expect(line.tokens).toBeLessThan(8000);
    expect(records().filter((record) => (record.level as number) >= 40)).toEqual([]);
    expect(logLines.join("\n")).not.toMatch(/stack|Error:/);
  });

  it("during a non-streamed request: the same one info line, and the generation stops", async () => {
    const before = await health();
    logLines.length = 0;
    const controller = new AbortController();
    const request = fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 8000, temperature: 0, logit_bias: noStop }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await waitUntil(async () => (await health()).live_sequences === 1, "the request runs");
    await new Promise((done) => setTimeout(done, 200));
    controller.abort();
    expect(await request).toBeInstanceOf(Error);

    await waitUntil(async () => (await health()).aborted_requests === before.aborted_requests + 1, "the server counts the abort");
    expect(await health()).toMatchObject({ live_sequences: 0, active_choices: 0 });
    await waitUntil(async () => records().some((record) => record.msg === "client disconnected; generation stopped"), "the disconnect is logged");
    const line = records().find((record) => record.msg === "client disconnected; generation stopped")!;
    expect(line).toMatchObject({ level: 30, stream: false });
    expect(String(line.request)).toMatch(/^chatcmpl-/);
    expect(line.tokens).toBeGreaterThan(0);
    expect(records().filter((record) => (record.level as number) >= 40)).toEqual([]);
    expect(logLines.join("\n")).not.toMatch(/stack|Error:/);
  });
});
