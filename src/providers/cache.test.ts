import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Budget, type CallRecord, Router, type ScriptedServer, SqliteResponseCache, parseModelsTable, responseCacheKey, startScriptedServer } from "./index.js";

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
