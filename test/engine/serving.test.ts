import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderChat } from "../../src/engine/chat/index.js";
import type { BatchingOptions } from "../../src/engine/generate/index.js";
import { createModelFile, type ModelDtype } from "../../src/engine/model-file/index.js";
import { type LoadedModel, loadModel } from "../../src/engine/runtime/index.js";
import { type EngineServer, createEngineServer } from "../../src/engine/server/index.js";
import { type Tokenizer, loadTokenizer } from "../../src/engine/tokenizer/index.js";

/**
 * Issue 5's must-shows, over real HTTP on loopback: continuous batching and prefix caching are
 * lossless, the prefix cache saves the shared tokens, preemption and eviction keep results
 * right, cancellation leaks no KV blocks, and bad load gets answers or clear errors.
 */
const CONTEXT = 2048;
let directory: string;
const models = new Map<ModelDtype, { model: LoadedModel; tokenizer: Tokenizer }>();
const servers: EngineServer[] = [];

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "pyagent-serving-"));
  for (const dtype of ["f32", "q8_0"] as const) {
    const path = join(directory, `tiny-${dtype}.gguf`);
    createModelFile({ out: path, preset: "tiny", dtype, seed: 21, contextLength: CONTEXT });
    const model = loadModel(path, { threads: 2 });
    models.set(dtype, { model, tokenizer: loadTokenizer(model.file) });
  }
});

afterAll(async () => {
  for (const server of servers) await server.close();
  for (const { model } of models.values()) model.close();
  rmSync(directory, { recursive: true, force: true });
});

async function start(batching: BatchingOptions, dtype: ModelDtype = "f32"): Promise<string> {
  const { model, tokenizer } = models.get(dtype)!;
  const server = createEngineServer({
    model,
    tokenizer,
    modelId: "tiny",
    renderChat: (messages) => renderChat(model.file, messages, { addGenerationPrompt: true }),
    batching,
  });
  servers.push(server);
  return `${await server.listen(0)}`;
}

/** Deterministic token ids in the tiny vocabulary, past its special tokens. */
function tokens(count: number, seed: number): number[] {
  const vocab = models.get("f32")!.model.config.vocabSize;
  let state = seed * 2654435761;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return 3 + (state % (vocab - 3));
  });
}

interface Completion {
  status: number;
  text: string;
  error?: { message: string; param?: string; code?: string };
}

/** A greedy completion that no stop token ends early. */
async function complete(base: string, prompt: number[], maxTokens: number, extra: Record<string, unknown> = {}): Promise<Completion> {
  const stopBias = Object.fromEntries([...models.get("f32")!.tokenizer.stopTokens].map((id) => [String(id), -100]));
  const response = await fetch(`${base}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "tiny", prompt, max_tokens: maxTokens, temperature: 0, logit_bias: stopBias, ...extra }),
  });
  const body = (await response.json()) as { choices?: { text: string }[]; error?: Completion["error"] };
  return { status: response.status, text: body.choices?.[0]?.text ?? "", error: body.error };
}

/** One metric's value from the Prometheus text at /metrics (summed over labels matching `labels`). */
async function metric(base: string, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] === name && (match[2] ?? "").includes(labels)) sum += Number(match[3]);
  }
  return sum;
}

/** Runs requests one at a time on a server with batching and prefix caching off. */
async function oneByOne(dtype: ModelDtype, prompts: number[][], maxTokens: number): Promise<string[]> {
  const reference = await start({ maxSeqs: 1, prefixCaching: false }, dtype);
  const texts: string[] = [];
  for (const prompt of prompts) texts.push((await complete(reference, prompt, maxTokens)).text);
  return texts;
}

describe("engine serving", () => {
  for (const dtype of ["f32", "q8_0"] as const) {
    it(`${dtype}: 16 concurrent greedy requests of mixed lengths, batched with prefix caching, equal the same requests run one by one with both off`, async () => {
      const shared = tokens(48, 1);
      const lengths = [3, 17, 40, 64, 100, 150, 5, 33, 70, 8, 120, 1, 49, 90, 25, 200];
      const prompts = lengths.map((length, i) => (i % 2 === 0 ? [...shared, ...tokens(length, 100 + i)] : tokens(length, 100 + i)));
      const expected = await oneByOne(dtype, prompts, 24);
      const batched = await start({ maxSeqs: 16, maxBatchedTokens: 96, prefixCaching: true }, dtype);
      const results = await Promise.all(prompts.map((prompt) => complete(batched, prompt, 24)));
      expect(results.map((result) => result.status)).toEqual(prompts.map(() => 200));
      expect(results.map((result) => result.text)).toEqual(expected);
      // The batches really were shared: prompts with the common prefix hit the cache.
      expect(await metric(batched, "pyagent_prefix_cache_hits_total")).toBeGreaterThan(0);
      expect(await metric(batched, "pyagent_kv_blocks_used")).toBe(0);
    });
  }

  it("a second request sharing a 1,000-token prefix computes only its new tokens, as /metrics counts", async () => {
    const base = await start({ maxSeqs: 4 });
    const prefix = tokens(1000, 7);
    const first = [...prefix, ...tokens(10, 8)];
    const second = [...prefix, ...tokens(25, 9)];
    await complete(base, first, 4);
    const computedBefore = await metric(base, "pyagent_computed_tokens_total");
    const hitsBefore = await metric(base, "pyagent_prefix_cache_hits_total");
    const result = await complete(base, second, 4);
    const computed = (await metric(base, "pyagent_computed_tokens_total")) - computedBefore;
    const hits = (await metric(base, "pyagent_prefix_cache_hits_total")) - hitsBefore;
    // 1000 shared tokens fill 62 blocks of 16 (992 tokens); the rest of the prompt is new, then 3 decode steps.
    expect(hits).toBe(992);
    expect(computed).toBe(second.length - 992 + 3);
    expect(result.text).toBe((await oneByOne("f32", [second], 4))[0]);
  });

  it("computes a prompt once for n choices: the other choices take its blocks from the prefix cache", async () => {
    const cached = await start({ maxSeqs: 8 });
    const uncached = await start({ maxSeqs: 8, prefixCaching: false });
    const prompt = tokens(100, 40);
    const body = { n: 4, temperature: 0.8, seed: 3 };
    const texts = async (base: string) => {
      const response = await fetch(`${base}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "tiny", prompt, max_tokens: 2, ...body }),
      });
      return ((await response.json()) as { choices: { index: number; text: string }[] }).choices.map((choice) => choice.text);
    };
    const withCache = await texts(cached);
    expect(withCache).toEqual(await texts(uncached));
    // Choice 0 computes 100 prompt tokens; choices 1-3 only the 4 past the six cached blocks; then one decode each.
    expect(await metric(cached, "pyagent_computed_tokens_total")).toBe(100 + 3 * 4 + 4);
    expect(await metric(uncached, "pyagent_computed_tokens_total")).toBe(4 * 100 + 4);
    expect(await metric(cached, "pyagent_prompt_tokens_total")).toBe(100);
  });

  it("evicts cached prefixes under memory pressure and still answers correctly", async () => {
    // 80 blocks = 1280 tokens: two 1000-token prompts cannot both stay cached.
    const base = await start({ maxSeqs: 2, kvBlocks: 80 });
    const a = [...tokens(1000, 11), 5, 6, 7];
    const b = [...tokens(1000, 12), 8, 9];
    const first = await complete(base, a, 6);
    await complete(base, b, 6);
    const again = await complete(base, a, 6);
    expect(await metric(base, "pyagent_kv_block_evictions_total")).toBeGreaterThan(0);
    const [expectedA] = await oneByOne("f32", [a], 6);
    expect(first.text).toBe(expectedA);
    expect(again.text).toBe(expectedA);
  });

  it("completes every request correctly when the pool is too small for all of them at once (preemption)", async () => {
    // 12 blocks = 192 tokens; six requests growing to 80 tokens each need 30 blocks.
    const base = await start({ maxSeqs: 6, kvBlocks: 12 });
    const prompts = [0, 1, 2, 3, 4, 5].map((i) => tokens(40, 30 + i));
    const results = await Promise.all(prompts.map((prompt) => complete(base, prompt, 40)));
    expect(await metric(base, "pyagent_preemptions_total")).toBeGreaterThan(0);
    expect(results.map((result) => result.text)).toEqual(await oneByOne("f32", prompts, 40));
    expect(await metric(base, "pyagent_kv_blocks_used")).toBe(0);
  });

  it("leaves no KV block held after cancellations and client disconnects under load", async () => {
    const base = await start({ maxSeqs: 8, kvBlocks: 64 });
    const controllers = Array.from({ length: 12 }, () => new AbortController());
    const streams = controllers.map(async (controller, i) => {
      const response = await fetch(`${base}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "tiny", prompt: tokens(20 + i * 7, 50 + i), max_tokens: i % 3 === 0 ? 12 : 400, temperature: 0, stream: true }),
        signal: controller.signal,
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let chunks = 0;
      try {
        for (;;) {
          const { done } = await reader.read();
          if (done) return "finished";
          chunks++;
          // Two in three disconnect mid-stream, after a few chunks.
          if (i % 3 !== 0 && chunks === 3) controller.abort();
        }
      } catch {
        return "aborted";
      }
    });
    const outcomes = await Promise.all(streams);
    expect(outcomes.filter((outcome) => outcome === "aborted")).toHaveLength(8);
    // The server sees each disconnect as the socket closes; wait until it has released everything.
    for (let i = 0; i < 100 && (await metric(base, "pyagent_requests_running")) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await metric(base, "pyagent_requests_running")).toBe(0);
    expect(await metric(base, "pyagent_requests_waiting")).toBe(0);
    expect(await metric(base, "pyagent_kv_blocks_used")).toBe(0);
    expect(await metric(base, "pyagent_requests_finished_total", 'finish_reason="abort"')).toBe(8);
    const health = (await (await fetch(`${base}/health`)).json()) as { live_sequences: number; kv_blocks_used: number };
    expect(health).toMatchObject({ live_sequences: 0, kv_blocks_used: 0 });
  });

  it("answers 500 requests at once, refuses a max_tokens past the context and a prompt larger than the pool, and keeps serving", async () => {
    const base = await start({ maxSeqs: 16, kvBlocks: 64 });
    const prompts = [0, 1, 2, 3, 4].map((i) => tokens(6 + i * 5, 70 + i));
    const expected = await oneByOne("f32", prompts, 3);
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => complete(base, prompts[i % 5], 3)));
    expect(results.filter((result) => result.status !== 200)).toEqual([]);
    expect(results.map((result) => result.text)).toEqual(results.map((_, i) => expected[i % 5]));

    const tooLong = await complete(base, prompts[0], CONTEXT + 10);
    expect(tooLong.status).toBe(400);
    expect(tooLong.error).toMatchObject({ code: "context_length_exceeded", param: "max_tokens" });
    expect(tooLong.error?.message).toMatch(/holds 1024 tokens, but you requested/);

    const huge = await complete(base, tokens(1500, 80), 4);
    expect(huge.status).toBe(400);
    expect(huge.error?.message).toMatch(/KV cache holds 1024 tokens, but the prompt has 1500/);

    expect((await complete(base, prompts[1], 3)).text).toBe(expected[1]);
    expect(await metric(base, "pyagent_kv_blocks_used")).toBe(0);
  });

  it("exposes the engine's numbers in Prometheus text format", async () => {
    const base = await start({});
    await complete(base, tokens(30, 90), 5);
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const name of [
      "pyagent_requests_running gauge",
      "pyagent_requests_waiting gauge",
      "pyagent_kv_blocks_used gauge",
      "pyagent_kv_blocks_free gauge",
      "pyagent_prefix_cache_queries_total counter",
      "pyagent_prefix_cache_hits_total counter",
      "pyagent_time_to_first_token_seconds histogram",
      "pyagent_time_per_output_token_seconds histogram",
      "pyagent_e2e_request_latency_seconds histogram",
      "pyagent_prompt_tokens_total counter",
      "pyagent_generation_tokens_total counter",
      "pyagent_preemptions_total counter",
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(await metric(base, "pyagent_prompt_tokens_total")).toBe(30);
    expect(await metric(base, "pyagent_generation_tokens_total")).toBe(5);
    expect(await metric(base, "pyagent_time_to_first_token_seconds_count")).toBe(1);
    expect(await metric(base, "pyagent_time_per_output_token_seconds_count")).toBe(4);
    expect(await metric(base, "pyagent_e2e_request_latency_seconds_count")).toBe(1);
  });
});
