import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModelFile } from "../model-file/index.js";
import { type LoadedModel, loadModel } from "../runtime/index.js";
import { type Tokenizer, loadTokenizer } from "../tokenizer/index.js";
import { GenerationAbortedError, type GenerationEvent, GenerationQueue, type GenerationRequest, PromptTooLongError, generate } from "./index.js";

let directory: string;
let model: LoadedModel;
let tokenizer: Tokenizer;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "pyagent-generate-"));
  const path = join(directory, "tiny.gguf");
  createModelFile({ out: path, preset: "tiny", dtype: "f32", seed: 11 });
  model = loadModel(path, { threads: 1 });
  tokenizer = loadTokenizer(model.file);
});

afterAll(() => {
  model?.close();
  rmSync(directory, { recursive: true, force: true });
});

async function run(request: GenerationRequest, queue?: GenerationQueue): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of queue ? queue.submit(request) : generate(model, tokenizer, request)) events.push(event);
  return events;
}

function textOf(events: GenerationEvent[], index = 0): string {
  return events.map((event) => (event.type === "text-delta" && event.index === index ? event.text : "")).join("");
}

function endOf(events: GenerationEvent[], index = 0) {
  return events.find((event) => event.type === "end" && event.index === index) as Extract<GenerationEvent, { type: "end" }>;
}

/** No stop token may end these generations early. */
const noStop = () => Object.fromEntries([...tokenizer.stopTokens].map((id) => [id, -100]));

describe("generate", () => {
  it("greedy generation emits exactly the argmax tokens of the model, streamed as their decoded text", async () => {
    const prompt = "Once upon a time";
    const events = await run({ prompt, maxTokens: 12, sampling: { temperature: 0, logitBias: noStop() } });
    const ids = tokenizer.encode(prompt, { addBos: tokenizer.bos !== null });
    const sequence = model.newSequence();
    let logits = sequence.forward(ids);
    const expected: number[] = [];
    for (let i = 0; i < 12; i++) {
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
      if (tokenizer.stopTokens.has(best)) break;
      expected.push(best);
      logits = sequence.forward([best]);
    }
    sequence.free();
    const tokens = events.flatMap((event) => (event.type === "text-delta" && event.token >= 0 ? [event.token] : []));
    expect(tokens).toEqual(expected);
    expect(textOf(events)).toBe(tokenizer.decode(expected));
    expect(endOf(events)).toMatchObject({ finishReason: "length", usage: { promptTokens: ids.length, completionTokens: 12 } });
  });

  it("same seed gives the same text; n choices use seed + i and differ", async () => {
    const request: GenerationRequest = { prompt: "The dog", maxTokens: 10, n: 3, sampling: { temperature: 1, seed: 5, logitBias: noStop() } };
    const first = await run(request);
    const second = await run(request);
    const texts = [0, 1, 2].map((index) => textOf(first, index));
    expect([0, 1, 2].map((index) => textOf(second, index))).toEqual(texts);
    expect(new Set(texts).size).toBe(3);
    const single = await run({ ...request, n: 1, sampling: { ...request.sampling, seed: 6 } });
    expect(textOf(single)).toBe(texts[1]);
  });

  it("ends with finish reason stop on a stop token and emits no text for it", async () => {
    const eos = [...tokenizer.stopTokens][0];
    const events = await run({ prompt: "Hi", maxTokens: 5, sampling: { temperature: 0, logitBias: { [eos]: 100 } } });
    expect(textOf(events)).toBe("");
    expect(endOf(events)).toMatchObject({ finishReason: "stop", usage: { completionTokens: 1 } });
  });

  it("stops before a stop string spanning tokens and never emits it", async () => {
    const full = textOf(await run({ prompt: "Hello", maxTokens: 20, sampling: { temperature: 0, logitBias: noStop() } }));
    const stop = full.slice(5, 9);
    const events = await run({ prompt: "Hello", maxTokens: 20, stop: [stop], sampling: { temperature: 0, logitBias: noStop() } });
    expect(textOf(events)).toBe(full.slice(0, full.indexOf(stop)));
    expect(endOf(events).finishReason).toBe("stop");
  });

  it("stops with finish reason length at the end of the context", async () => {
    const small = loadModel(model.file.path, { threads: 1, contextLength: 16 });
    try {
      const smallTokenizer = loadTokenizer(small.file);
      const prompt = smallTokenizer.encode("Once upon a time", { addBos: true });
      const events: GenerationEvent[] = [];
      for await (const event of generate(small, smallTokenizer, { prompt, sampling: { temperature: 0, logitBias: noStop() } })) events.push(event);
      expect(endOf(events)).toMatchObject({ finishReason: "length", usage: { completionTokens: 16 - prompt.length } });
      expect(() => generate(small, smallTokenizer, { prompt: [...prompt, ...prompt, ...prompt] })).toThrow(PromptTooLongError);
    } finally {
      small.close();
    }
  });

  it("reports the chosen token's logprob and the top alternatives", async () => {
    const events = await run({ prompt: "A cat", maxTokens: 4, logprobs: 3, sampling: { temperature: 0, logitBias: noStop() } });
    for (const event of events) {
      if (event.type !== "text-delta" || event.token < 0) continue;
      expect(event.logprobs?.top).toHaveLength(3);
      expect(event.logprobs?.top[0].token).toBe(event.token);
      expect(event.logprobs?.logprob).toBeCloseTo(event.logprobs?.top[0].logprob ?? 0, 6);
      expect(event.logprobs?.text).toBe(tokenizer.tokenText(event.token));
    }
  });

  it("aborting frees the sequence at once and makes iteration throw", async () => {
    const queue = new GenerationQueue(model, tokenizer);
    const controller = new AbortController();
    const events = queue.submit({ prompt: "Once", maxTokens: 200, signal: controller.signal, sampling: { temperature: 0, logitBias: noStop() } });
    await events.next();
    await events.next();
    expect(queue.liveSequences).toBe(1);
    controller.abort();
    expect(queue.liveSequences).toBe(0);
    expect(queue.activeChoices).toBe(0);
    await expect(events.next()).rejects.toBeInstanceOf(GenerationAbortedError);
  });

  it("a consumer that stops iterating early frees the sequence", async () => {
    const queue = new GenerationQueue(model, tokenizer);
    for await (const event of queue.submit({ prompt: "Once", maxTokens: 200, sampling: { temperature: 0, logitBias: noStop() } })) {
      if (event.type === "text-delta") break;
    }
    expect(queue.liveSequences).toBe(0);
    expect(queue.activeChoices).toBe(0);
  });

  it("prefills a long prompt in budget-sized chunks while a running request keeps getting a token every step", async () => {
    const queue = new GenerationQueue(model, tokenizer, { maxBatchedTokens: 64 });
    const order: string[] = [];
    const long = tokenizer.encode("the cat sat on the mat and ".repeat(20), { addBos: true }).slice(0, 200);
    const sampling = { temperature: 0, logitBias: noStop() };
    const watch = async (name: string, request: GenerationRequest) => {
      for await (const event of queue.submit(request)) if (event.type === "text-delta") order.push(name);
    };
    await Promise.all([watch("short", { prompt: "Hi", maxTokens: 4, sampling }), watch("long", { prompt: long, maxTokens: 2, sampling })]);
    // 200 prompt tokens in chunks of at most 64 minus the short request's decode token: 4 steps,
    // during which the short request decodes all 4 of its tokens.
    expect(order).toEqual(["short", "short", "short", "short", "long", "long"]);
    const alone = await run({ prompt: long, maxTokens: 2, sampling });
    expect(alone.filter((event) => event.type === "text-delta")).toHaveLength(2);
  });

  it("rejects prompt token ids outside the vocabulary before any work", () => {
    expect(() => generate(model, tokenizer, { prompt: [1, model.config.vocabSize] })).toThrow(/outside the vocabulary/);
  });

  it("serves concurrent requests in one queue, each as if it ran alone", async () => {
    const queue = new GenerationQueue(model, tokenizer);
    const request = (prompt: string): GenerationRequest => ({ prompt, maxTokens: 8, sampling: { temperature: 0, logitBias: noStop() } });
    const together = await Promise.all(["One", "Two", "Three"].map((prompt) => run(request(prompt), queue)));
    for (const [i, prompt] of ["One", "Two", "Three"].entries()) {
      expect(textOf(together[i])).toBe(textOf(await run(request(prompt))));
    }
    expect(queue.liveSequences).toBe(0);
  });
});

describe("batching options", () => {
  it("refuses a non-positive or fractional option with an error naming it", () => {
    for (const [name, value] of [["maxSeqs", 0], ["maxBatchedTokens", -1], ["blockSize", 1.5], ["kvBlocks", 0]] as const) {
      expect(() => new GenerationQueue(model, tokenizer, { [name]: value })).toThrow(new RegExp(`${name} must be a positive integer`));
    }
  });

  it("caps a request at the KV pool when the pool is smaller than the context", async () => {
    const queue = new GenerationQueue(model, tokenizer, { kvBlocks: 2, blockSize: 16 });
    expect(queue.requestLimit).toEqual({ tokens: 32, limitedBy: "kv-cache" });
    expect(() => queue.submit({ prompt: Array.from({ length: 40 }, () => 5) })).toThrow(/the KV cache pool holds 32/);
    expect(() => queue.submit({ prompt: [5, 6, 7], maxTokens: 30 })).toThrow(PromptTooLongError);
    const events = await run({ prompt: [5, 6, 7], maxTokens: 29, sampling: { temperature: 0, logitBias: noStop() } }, queue);
    expect(endOf(events)).toMatchObject({ finishReason: "length", usage: { completionTokens: 29 } });
    expect(queue.kvBlocks).toMatchObject({ used: 0, total: 2 });
  });
});
