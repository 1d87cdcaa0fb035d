import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderChat } from "../../src/engine/chat/index.js";
import { createModelFile } from "../../src/engine/model-file/index.js";
import { type LoadedModel, loadModel } from "../../src/engine/runtime/index.js";
import { type EngineServer, createEngineServer } from "../../src/engine/server/index.js";
import { type Tokenizer, loadTokenizer } from "../../src/engine/tokenizer/index.js";

const MODEL_ID = "tiny";
const KEY = "test-key-123";
let directory: string;
let model: LoadedModel;
let tokenizer: Tokenizer;
let server: EngineServer;
let keyedServer: EngineServer;
let url: string;
let keyedUrl: string;
let client: OpenAI;

function serverFor(apiKey?: string): EngineServer {
  return createEngineServer({
    model,
    tokenizer,
    modelId: MODEL_ID,
    renderChat: (messages) => renderChat(model.file, messages, { addGenerationPrompt: true }),
    apiKey,
  });
}

interface Health {
  live_sequences: number;
  active_choices: number;
  finished_requests: number;
  aborted_requests: number;
}

async function health(base = url): Promise<Health> {
  return (await (await fetch(`${base}/health`)).json()) as Health;
}

async function postRaw(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "pyagent-server-"));
  const path = join(directory, "tiny.gguf");
  createModelFile({ out: path, preset: "tiny", dtype: "f32", seed: 7 });
  model = loadModel(path, { threads: 1 });
  tokenizer = loadTokenizer(model.file);
  server = serverFor();
  keyedServer = serverFor(KEY);
  url = await server.listen(0);
  keyedUrl = await keyedServer.listen(0);
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
  await keyedServer?.close();
  model?.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("engine server with the official openai client", () => {
  it("lists the one model it serves and reports health", async () => {
    const models = await client.models.list();
    expect(models.data.map((entry) => entry.id)).toEqual([MODEL_ID]);
    expect(await health()).toMatchObject({ live_sequences: 0, active_choices: 0 });
  });

  it("completes a prompt greedily, with usage and finish reason, the same streamed or not", async () => {
    const prompt = "Once upon a time";
    const completion = await client.completions.create({ model: MODEL_ID, prompt, max_tokens: 12, temperature: 0 });
    const choice = completion.choices[0];
    expect(completion.object).toBe("text_completion");
    expect(choice.finish_reason === "length" || choice.finish_reason === "stop").toBe(true);
    expect(completion.usage?.prompt_tokens).toBe(tokenizer.encode(prompt, { addBos: tokenizer.bos !== null }).length);
    if (choice.finish_reason === "length") expect(completion.usage?.completion_tokens).toBe(12);
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));

    const stream = await client.completions.create({ model: MODEL_ID, prompt, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let streamed = "";
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      for (const part of chunk.choices) streamed += part.text;
    }
    expect(streamed).toBe(choice.text);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(completion.usage);
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe(choice.finish_reason);
  });

  it("answers chat through the model's template, streamed and not", async () => {
    const messages = [
      { role: "system" as const, content: "You are brief." },
      { role: "user" as const, content: "Tell me a story." },
    ];
    const chat = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 10, temperature: 0 });
    expect(chat.object).toBe("chat.completion");
    expect(chat.choices[0].message.role).toBe("assistant");
    const rendered = renderChat(model.file, messages, { addGenerationPrompt: true });
    const renderedIds = tokenizer.encode(rendered, { addBos: false, parseSpecial: true });
    expect(renderedIds[0]).toBe(tokenizer.bos); // the template writes BOS itself: no second one is added
    expect(chat.usage?.prompt_tokens).toBe(renderedIds.length);

    const stream = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 10, temperature: 0, stream: true });
    let content = "";
    let role: string | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      role ??= chunk.choices[0]?.delta.role;
      content += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(role).toBe("assistant");
    expect(content).toBe(chat.choices[0].message.content);
    expect(finish).toBe(chat.choices[0].finish_reason);
  });

  it("reports logprobs: legacy top-N for completions, top_logprobs for chat", async () => {
    const completion = await client.completions.create({ model: MODEL_ID, prompt: "The cat", max_tokens: 5, temperature: 0, logprobs: 3 });
    const logprobs = completion.choices[0].logprobs;
    expect(logprobs?.tokens?.length).toBe(completion.usage?.completion_tokens);
    for (const [i, top] of (logprobs?.top_logprobs ?? []).entries()) {
      const values = Object.values(top);
      expect(values.length).toBeGreaterThan(0);
      expect(values.length).toBeLessThanOrEqual(3);
      // Greedy: the chosen token is the most likely one.
      expect(logprobs?.token_logprobs?.[i]).toBeCloseTo(Math.max(...values), 5);
      expect(logprobs?.token_logprobs?.[i]).toBeLessThanOrEqual(0);
    }
    const chat = await client.chat.completions.create({
      model: MODEL_ID,
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 4,
      temperature: 0,
      logprobs: true,
      top_logprobs: 2,
    });
    const content = chat.choices[0].logprobs?.content ?? [];
    expect(content.length).toBe(chat.usage?.completion_tokens);
    for (const entry of content) {
      if (!entry.token.includes("\ufffd")) expect(entry.bytes).toEqual(Array.from(Buffer.from(entry.token, "utf8")));
      expect(entry.top_logprobs).toHaveLength(2);
      expect(entry.logprob).toBeCloseTo(entry.top_logprobs[0].logprob, 5);
    }
  });

  it("returns n independent choices; the same seed gives the same choices", async () => {
    const ask = () => client.completions.create({ model: MODEL_ID, prompt: "A dog", max_tokens: 8, temperature: 1, seed: 42, n: 2 });
    const first = await ask();
    expect(first.choices.map((choice) => choice.index)).toEqual([0, 1]);
    expect(first.choices[0].text).not.toBe(first.choices[1].text);
    const second = await ask();
    expect(second.choices.map((choice) => choice.text)).toEqual(first.choices.map((choice) => choice.text));
    const tokens = first.usage?.completion_tokens ?? 0;
    expect(tokens).toBeGreaterThan(8);
  });

  it("stops before a stop string and never returns it", async () => {
    const full = await client.completions.create({ model: MODEL_ID, prompt: "Hello", max_tokens: 24, temperature: 0 });
    const text = full.choices[0].text;
    const stop = text.slice(6, 9);
    expect(stop.length).toBe(3);
    const cut = await client.completions.create({ model: MODEL_ID, prompt: "Hello", max_tokens: 24, temperature: 0, stop: [stop] });
    expect(cut.choices[0].text).toBe(text.slice(0, text.indexOf(stop)));
    expect(cut.choices[0].finish_reason).toBe("stop");
    const streamed = await client.completions.create({ model: MODEL_ID, prompt: "Hello", max_tokens: 24, temperature: 0, stop: stop, stream: true });
    let joined = "";
    for await (const chunk of streamed) joined += chunk.choices[0]?.text ?? "";
    expect(joined).toBe(cut.choices[0].text);
  });

  it("requires the bearer key when started with one", async () => {
    const keyless = new OpenAI({ baseURL: `${keyedUrl}/v1`, apiKey: "wrong", maxRetries: 0 });
    await expect(keyless.models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    const raw = await fetch(`${keyedUrl}/v1/models`);
    expect(raw.status).toBe(401);
    expect(((await raw.json()) as any).error.type).toBe("authentication_error");
    const keyed = new OpenAI({ baseURL: `${keyedUrl}/v1`, apiKey: KEY, maxRetries: 0 });
    expect((await keyed.models.list()).data[0].id).toBe(MODEL_ID);
  });

  it("answers each kind of bad input with the right status and an OpenAI error object", async () => {
    const cases: Array<[string, string, number, string | null]> = [
      ["/v1/completions", "{not json", 400, null],
      ["/v1/completions", JSON.stringify({ model: "gpt-4", prompt: "x" }), 404, "model"],
      ["/v1/completions", JSON.stringify({ model: MODEL_ID, prompt: "x", temperature: -1 }), 400, "temperature"],
      ["/v1/completions", JSON.stringify({ model: MODEL_ID, prompt: "x", top_p: 1.5 }), 400, "top_p"],
      ["/v1/completions", JSON.stringify({ model: MODEL_ID, prompt: "x", n: 0 }), 400, "n"],
      ["/v1/completions", JSON.stringify({ model: MODEL_ID, prompt: "x", max_tokens: 0 }), 400, "max_tokens"],
      ["/v1/completions", JSON.stringify({ model: MODEL_ID, prompt: "x", logit_bias: { "99999999": 5 } }), 400, "logit_bias"],
      ["/v1/completions", JSON.stringify({ model: MODEL_ID }), 400, "prompt"],
      ["/v1/chat/completions", JSON.stringify({ model: MODEL_ID, messages: [] }), 400, "messages"],
      ["/v1/chat/completions", JSON.stringify({ model: MODEL_ID, messages: [{ role: "wizard", content: "x" }] }), 400, "messages.0.role"],
    ];
    for (const [path, body, status, param] of cases) {
      const response = await postRaw(path, body);
      expect({ body, status: response.status }).toEqual({ body, status });
      expect(response.body.error).toMatchObject({ type: expect.any(String), message: expect.any(String), param });
    }
    const tooLong = await postRaw("/v1/completions", JSON.stringify({ model: MODEL_ID, prompt: "the cat sat. ".repeat(model.config.contextLength) }));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe("context_length_exceeded");
    const refused = await postRaw("/v1/chat/completions", JSON.stringify({ model: MODEL_ID, messages: [{ role: "tool", content: "x" }] }));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ param: "messages", code: "invalid_messages" });
    const outsideVocabulary = await postRaw("/v1/completions", JSON.stringify({ model: MODEL_ID, prompt: [1, model.config.vocabSize + 5] }));
    expect(outsideVocabulary.status).toBe(400);
    expect(outsideVocabulary.body.error.message).toContain("outside the vocabulary");
    const huge = await fetch(`${url}/v1/completions`, { method: "POST", body: JSON.stringify({ model: MODEL_ID, prompt: "x".repeat(9 * 1024 * 1024) }) });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as any).error.code).toBe("request_too_large");
    const wrongMethod = await fetch(`${url}/v1/completions`);
    expect(wrongMethod.status).toBe(405);
    const unknown = await fetch(`${url}/v1/embeddings`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.type).toBe("not_found_error");
  });

  it("aborts the generation and frees its sequence when the client disconnects mid-stream", async () => {
    const before = await health();
    const body = JSON.stringify({
      model: MODEL_ID,
      prompt: "Once",
      max_tokens: model.config.contextLength - 16,
      temperature: 0.9,
      seed: 1,
      stream: true,
      logit_bias: Object.fromEntries([...tokenizer.stopTokens].map((id) => [String(id), -100])),
    });
    await new Promise<void>((resolve) => {
      const request = httpRequest(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" } }, (response) => {
        let chunks = 0;
        response.on("data", () => {
          chunks++;
          if (chunks === 3) {
            request.destroy();
            resolve();
          }
        });
      });
      request.on("error", () => {});
      request.end(body);
    });
    const deadline = Date.now() + 5_000;
    let state = await health();
    while ((state.live_sequences > 0 || state.active_choices > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      state = await health();
    }
    expect(state).toMatchObject({ live_sequences: 0, active_choices: 0, aborted_requests: before.aborted_requests + 1 });
    expect(state.finished_requests).toBe(before.finished_requests);
  });

  it("a client that gives up on a non-streaming request also frees its sequence, and the server keeps serving", async () => {
    const before = await health();
    const body = JSON.stringify({
      model: MODEL_ID,
      prompt: "Once",
      max_tokens: model.config.contextLength - 16,
      temperature: 0.9,
      seed: 2,
      logit_bias: Object.fromEntries([...tokenizer.stopTokens].map((id) => [String(id), -100])),
    });
    const request = httpRequest(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" } });
    request.on("error", () => {});
    request.end(body);
    let state = await health();
    while (state.live_sequences === 0 && state.finished_requests === before.finished_requests) state = await health();
    request.destroy();
    const deadline = Date.now() + 5_000;
    while ((state.live_sequences > 0 || state.active_choices > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      state = await health();
    }
    expect(state).toMatchObject({ live_sequences: 0, active_choices: 0, aborted_requests: before.aborted_requests + 1 });
    const after = await client.completions.create({ model: MODEL_ID, prompt: "Still there?", max_tokens: 3 });
    expect(after.choices).toHaveLength(1);
  });

  it("serves concurrent requests to completion, one engine step at a time", async () => {
    const requests = [
      client.completions.create({ model: MODEL_ID, prompt: "One", max_tokens: 10, temperature: 0 }),
      client.chat.completions.create({ model: MODEL_ID, messages: [{ role: "user", content: "Two" }], max_tokens: 10, temperature: 0 }),
      (async () => {
        const stream = await client.completions.create({ model: MODEL_ID, prompt: "Three", max_tokens: 10, temperature: 0, stream: true });
        let text = "";
        for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
        return text;
      })(),
      client.completions.create({ model: MODEL_ID, prompt: "Four", max_tokens: 10, temperature: 0.7, n: 2 }),
    ];
    const results = await Promise.all(requests);
    expect(results).toHaveLength(4);
    const alone = await client.completions.create({ model: MODEL_ID, prompt: "One", max_tokens: 10, temperature: 0 });
    expect((results[0] as typeof alone).choices[0].text).toBe(alone.choices[0].text);
    expect(await health()).toMatchObject({ live_sequences: 0, active_choices: 0 });
  });
});
