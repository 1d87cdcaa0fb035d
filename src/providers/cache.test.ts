import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Budget, type CallRecord, MemoryResponseCache, type ResponseCacheStore, Router, type ScriptedServer, SqliteResponseCache, parseModelsTable, responseCacheKey, startScriptedServer } from "./index.js";

let server: ScriptedServer | undefined;
afterEach(async () => server?.close());

async function setup() {
  server = await startScriptedServer({
    version: 1,
    mode: "ordered",
    interactions: [
      { response: { text: "first answer", usage: { prompt_tokens: 10, completion_tokens: 20 } } },
      { response: { text: "second answer", usage: { prompt_tokens: 10, completion_tokens: 20 } } },
      { response: { text: "third answer", usage: { prompt_tokens: 10, completion_tokens: 20 } } },
    ],
  });
  const database = new Database(":memory:");
  const models = parseModelsTable({ paid: { provider: "openai-compatible", model: "m", "base-url": server.url, "input-price": 1, "output-price": 2 } }).models;
  const budget = new Budget({ usd: 10 });
  const calls: CallRecord[] = [];
  return { database, budget, calls, router: new Router({ models, budget, cache: new SqliteResponseCache(database), onCall: (call) => calls.push(call) }) };
}

const chats = () => server!.requests.filter((request) => request.path === "/chat/completions").length;
const question = { messages: [{ role: "user" as const, content: "what is 2+2?" }], temperature: 0, maxOutputTokens: 32 };

describe("response cache", () => {
  it("answers an identical request from the cache for free", async () => {
    const { router, budget, calls } = await setup();
    const first = await router.complete(question);
    const second = await router.complete({ ...question, messages: [...question.messages] });
    expect(first).toMatchObject({ text: "first answer", cached: false });
    expect(first.costUsd).toBeCloseTo(0.00005, 12);
    expect(second).toMatchObject({ text: "first answer", cached: true, costUsd: 0, usage: { inputTokens: 10, outputTokens: 20 } });
    expect(chats()).toBe(1);
    expect(budget.spent.calls).toBe(1);
    expect(calls.map((call) => [call.text, call.cached, call.costUsd])).toEqual([
      ["first answer", false, first.costUsd],
      ["first answer", true, 0],
    ]);
    expect(calls[0]!.messages).toEqual(question.messages);
  });

  it("treats a different parameter or message as a different request", async () => {
    const { router } = await setup();
    await router.complete(question);
    expect((await router.complete({ ...question, temperature: 0.7 })).text).toBe("second answer");
    expect((await router.complete({ ...question, messages: [{ role: "user", content: "what is 3+3?" }] })).text).toBe("third answer");
    expect(chats()).toBe(3);
  });

  it("is bypassed entirely with noCache", async () => {
    const { router, database } = await setup();
    await router.complete({ ...question, noCache: true });
    expect(database.prepare("SELECT COUNT(*) AS n FROM provider_response_cache").get()).toEqual({ n: 0 });
    await router.complete(question);
    expect((await router.complete({ ...question, noCache: true })).text).toBe("third answer");
    expect(chats()).toBe(3);
  });

  it("caches streamed replies and replays them as a stream", async () => {
    const { router } = await setup();
    const collect = async () => {
      const events = [];
      for await (const event of router.stream(question)) events.push(event);
      return events;
    };
    await collect();
    const replay = await collect();
    expect(replay.at(-1)).toMatchObject({ type: "finish", text: "first answer", cached: true, costUsd: 0 });
    expect(chats()).toBe(1);
  });

  it("keys requests by model, messages, parameters and schema", () => {
    const model = { provider: "openai-compatible", modelId: "m", baseUrl: "http://x/v1" };
    const base = responseCacheKey(model, question);
    expect(responseCacheKey(model, { ...question })).toBe(base);
    expect(responseCacheKey({ ...model, modelId: "n" }, question)).not.toBe(base);
    expect(responseCacheKey(model, { ...question, seed: 1 })).not.toBe(base);
    expect(responseCacheKey(model, { ...question, schema: { type: "object" } })).not.toBe(base);
  });
});

describe.each([
  ["SqliteResponseCache", () => new SqliteResponseCache(new Database(":memory:"))],
  ["MemoryResponseCache", () => new MemoryResponseCache()],
] as Array<[string, () => ResponseCacheStore]>)("%s (the ResponseCacheStore contract)", (_name, create) => {
  it("returns what was put under a key, as a copy, and nothing for an unknown key", () => {
    const store = create();
    expect(store.get("missing")).toBeUndefined();
    const reply = { text: "t", json: { a: [1] }, usage: { inputTokens: 1, outputTokens: 2 } };
    store.put("k", "model", reply);
    const read = store.get("k")!;
    expect(read).toEqual(reply);
    (read.json as { a: number[] }).a.push(2);
    expect(store.get("k")).toEqual(reply);
  });

  it("keeps text-only replies without a json field, and replaces a key's reply", () => {
    const store = create();
    store.put("k", "model", { text: "old", usage: { inputTokens: 0, outputTokens: 0 } });
    store.put("k", "model", { text: "new", usage: { inputTokens: 3, outputTokens: 4 } });
    expect(store.get("k")).toEqual({ text: "new", usage: { inputTokens: 3, outputTokens: 4 } });
  });
});

describe("SqliteResponseCache", () => {
  it("rejects a row of another cache version loudly instead of guessing", () => {
    const database = new Database(":memory:");
    const store = new SqliteResponseCache(database);
    database.prepare("INSERT INTO provider_response_cache VALUES (?, ?, ?, ?)").run("k", "m", JSON.stringify({ version: 2, text: "x", usage: { inputTokens: 0, outputTokens: 0 } }), 0);
    expect(() => store.get("k")).toThrow(/not a version 1 reply/);
  });
});
