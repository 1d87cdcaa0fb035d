import { afterEach, describe, expect, it } from "vitest";
import { ResponseTooLargeError, Router, type ScriptedServer, StructuredOutputError, parseModelsTable, startScriptedServer } from "./index.js";
import type { Cassette } from "./scripted/index.js";
import { checkJsonReply } from "./structured.js";

const schema = {
  type: "object",
  properties: { name: { type: "string" }, score: { type: "integer", minimum: 0 } },
  required: ["name", "score"],
  additionalProperties: false,
};

let server: ScriptedServer | undefined;
afterEach(async () => server?.close());

async function routerFor(interactions: Cassette["interactions"], model: Record<string, unknown> = {}, options: { maxResponseBytes?: number } = {}) {
  server = await startScriptedServer({ version: 1, interactions });
  const models = parseModelsTable({ local: { provider: "openai-compatible", model: "m", "base-url": server.url, ...model } }).models;
  return new Router({ models, ...options });
}

const ask = { messages: [{ role: "user" as const, content: "rate this" }], schema };
const chatBodies = () => server!.requests.filter((request) => request.path === "/chat/completions").map((request) => request.body as Record<string, any>);

describe("structured output", () => {
  it("sends the JSON schema as response_format to a server that supports it and returns the parsed value", async () => {
    const router = await routerFor([{ response: { text: '{"name":"ok","score":3}' } }], { "structured-output": true });
    const reply = await router.complete(ask);
    expect(reply.json).toEqual({ name: "ok", score: 3 });
    expect(chatBodies()[0]!.response_format).toMatchObject({ type: "json_schema", json_schema: { schema } });
  });

  it("falls back to a schema instruction in the prompt and validates the reply where the server lacks JSON-schema output", async () => {
    const router = await routerFor([{ response: { text: 'Sure! ```json\n{"name":"ok","score":3}\n```' } }]);
    const reply = await router.complete(ask);
    expect(reply.json).toEqual({ name: "ok", score: 3 });
    const body = chatBodies()[0]!;
    expect(body.response_format).toBeUndefined();
    expect(body.messages[0]).toMatchObject({ role: "system" });
    expect(body.messages[0].content).toContain('"required":["name","score"]');
  });

  it("repairs broken JSON by asking again with the problem, and counts the tokens of every round", async () => {
    const router = await routerFor([
      { response: { text: '{"name": "ok", "score": ', usage: { prompt_tokens: 10, completion_tokens: 5 } } },
      { response: { text: '{"name":"ok","score":-1}', usage: { prompt_tokens: 20, completion_tokens: 5 } } },
      { response: { text: '{"name":"ok","score":4}', usage: { prompt_tokens: 30, completion_tokens: 5 } } },
    ]);
    const reply = await router.complete(ask);
    expect(reply.json).toEqual({ name: "ok", score: 4 });
    expect(reply.usage).toEqual({ inputTokens: 60, outputTokens: 15 });
    const retry = chatBodies()[1]!.messages.slice(-2);
    expect(retry[0]).toEqual({ role: "assistant", content: '{"name": "ok", "score": ' });
    expect(retry[1].content).toMatch(/not usable: the JSON does not parse/);
    expect(chatBodies()[2]!.messages.at(-1).content).toMatch(/does not match the schema at score/);
  });

  it("gives a clear error after the bounded repair attempts", async () => {
    const router = await routerFor(Array.from({ length: 5 }, () => ({ response: { text: "I cannot do JSON, sorry" } })));
    const error = await router.complete(ask).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect((error as Error).message).toBe("model local gave no valid JSON for the schema after 3 attempts: the reply contains no JSON object or array");
    expect(chatBodies()).toHaveLength(3);
  });
});

describe("huge responses", () => {
  it("sends maxOutputTokens to the server, and a default cap when the caller gives none", async () => {
    const router = await routerFor([{ response: { text: "a" } }, { response: { text: "b" } }]);
    await router.complete({ messages: [{ role: "user", content: "x" }], maxOutputTokens: 7 });
    await router.complete({ messages: [{ role: "user", content: "y" }] });
    expect(chatBodies().map((body) => body.max_tokens)).toEqual([7, 4096]);
  });

  it("stops reading a body past the byte cap, streamed or not, with a clear error", async () => {
    const huge = `${"x".repeat(999)} `.repeat(2000); // 2 MB in 2000 stream chunks
    const router = await routerFor([{ response: { text: huge } }, { response: { text: huge } }], {}, { maxResponseBytes: 100_000 });
    const error = await router.complete({ messages: [{ role: "user", content: "x" }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as Error).message).toMatch(/model local sent a response larger than 100000 bytes/);
    const streamed = (async () => {
      for await (const _event of router.stream({ messages: [{ role: "user", content: "y" }] })) void _event;
    })();
    await expect(streamed).rejects.toBeInstanceOf(ResponseTooLargeError);
  });
});

describe("checkJsonReply", () => {
  it("takes the first balanced JSON value out of prose, ignoring brackets inside strings", () => {
    expect(checkJsonReply('Here: {"name":"a}]","score":1} and more {"x":2}', schema)).toEqual({ ok: true, value: { name: "a}]", score: 1 } });
  });

  it("names the schema violation", () => {
    expect(checkJsonReply('{"name":"a","score":1,"extra":true}', schema)).toMatchObject({ ok: false });
    expect(checkJsonReply("[1,2]", schema)).toMatchObject({ ok: false, problem: expect.stringMatching(/top level/) });
  });
});
