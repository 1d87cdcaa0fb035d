import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Budget, ConnectivityManager, NoModelAvailableError, Router, StructuredOutputError, type ScriptedServer, parseModelsTable, startScriptedServer } from "./index.js";
import type { Cassette } from "./scripted/index.js";

const servers: ScriptedServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(interactions: Cassette["interactions"], mode: Cassette["mode"] = "ordered"): Promise<ScriptedServer> {
  const server = await startScriptedServer({ version: 1, mode, models: ["m"], interactions });
  servers.push(server);
  return server;
}

function models(table: Record<string, Record<string, unknown>>) {
  const withDefaults = Object.fromEntries(Object.entries(table).map(([name, model]) => [name, { provider: "openai-compatible", model: "m", ...model }]));
  return parseModelsTable(withDefaults).models;
}

async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

const hello = [{ role: "user" as const, content: "hello" }];

describe("router over the openai-compatible adapter and a real loopback server", () => {
  it("answers with text, usage and the cost from the model's prices", async () => {
    const server = await serve([{ response: { text: "hi there", usage: { prompt_tokens: 1000, completion_tokens: 500 } } }]);
    const router = new Router({ models: models({ local: { "base-url": server.url, "input-price": 2, "output-price": 10 } }) });
    const reply = await router.complete({ messages: hello, maxOutputTokens: 64 });
    expect(reply).toMatchObject({ text: "hi there", usage: { inputTokens: 1000, outputTokens: 500 }, model: "local", provider: "openai-compatible", cached: false });
    expect(reply.costUsd).toBeCloseTo(0.002 + 0.005, 12);
    expect(server.requests[0]!.body).toMatchObject({ model: "m", max_tokens: 64, messages: [{ role: "user", content: "hello" }] });
  });

  it("streams text deltas then one finish event with usage", async () => {
    const server = await serve([{ response: { text: "one two three", usage: { prompt_tokens: 3, completion_tokens: 3 } } }]);
    const router = new Router({ models: models({ local: { "base-url": server.url } }) });
    const events = [];
    for await (const event of router.stream({ messages: hello })) events.push(event);
    const deltas = events.filter((event) => event.type === "text-delta").map((event) => event.text);
    expect(deltas.join("")).toBe("one two three");
    expect(deltas.length).toBeGreaterThan(1);
    expect(events.at(-1)).toMatchObject({ type: "finish", text: "one two three", usage: { inputTokens: 3, outputTokens: 3 }, model: "local" });
    expect(server.requests[0]!.body).toMatchObject({ stream: true });
  });

  it("retries a 429 on the same model after the retry-after seconds it asked for", async () => {
    const server = await serve([
      { response: { status: 429, headers: { "retry-after": "2" }, body: { error: { message: "slow down", type: "rate_limit" } } } },
      { response: { text: "ok" } },
    ]);
    const waits: number[] = [];
    const router = new Router({ models: models({ local: { "base-url": server.url } }), sleep: async (ms) => void waits.push(ms), random: () => 0 });
    const reply = await router.complete({ messages: hello });
    expect(reply.text).toBe("ok");
    expect(server.requests.filter((request) => request.path === "/chat/completions")).toHaveLength(2);
    expect(waits).toEqual([2000]);
  });

  it("honours a retry-after given as an HTTP date", async () => {
    const when = new Date(Date.now() + 30_000).toUTCString();
    const server = await serve([{ response: { status: 429, headers: { "retry-after": when }, body: { error: { message: "later" } } } }, { response: { text: "ok" } }]);
    const waits: number[] = [];
    const router = new Router({ models: models({ local: { "base-url": server.url } }), sleep: async (ms) => void waits.push(ms), random: () => 0 });
    expect((await router.complete({ messages: hello })).text).toBe("ok");
    expect(waits[0]).toBeGreaterThan(28_000);
    expect(waits[0]).toBeLessThanOrEqual(30_000);
  });

  it("backs off with jitter on 5xx, then falls back to the next model when retries run out", async () => {
    const failing = await serve(Array.from({ length: 3 }, () => ({ response: { status: 503, body: { error: { message: "overloaded" } } } })));
    const backup = await serve([{ response: { text: "from backup" } }]);
    const waits: number[] = [];
    const router = new Router({
      models: models({ cheap: { "base-url": failing.url }, backup: { "base-url": backup.url, "input-price": 1, "output-price": 1 } }),
      sleep: async (ms) => void waits.push(ms),
      random: () => 0.5,
    });
    const reply = await router.complete({ messages: hello });
    expect(reply).toMatchObject({ text: "from backup", model: "backup" });
    expect(failing.requests).toHaveLength(3);
    expect(waits).toEqual([375, 750]); // 500·2^n, half fixed + half jittered (random 0.5)
  });

  it("falls back from a dead provider (closed port) and then skips it without trying it again", async () => {
    const backup = await serve([{ response: { text: "first" } }, { response: { text: "second" } }]);
    const connectivity = new ConnectivityManager();
    const dead = await closedPortUrl();
    const router = new Router({
      models: models({ dead: { "base-url": dead }, "same-server": { "base-url": dead, model: "other", "input-price": 0.5 }, backup: { "base-url": backup.url, "input-price": 1 } }),
      connectivity,
    });
    expect((await router.complete({ messages: hello })).model).toBe("backup");
    expect(connectivity.health(router.models[0]!)).toMatchObject({ state: "down" });
    // The other model on the dead server was never tried: its endpoint is known to be down.
    expect(connectivity.health(router.models[1]!)).toMatchObject({ state: "down", reason: expect.stringMatching(/model dead .* is unreachable/) });
    expect(router.chainFor("small").chain.map((entry) => entry.name)).toEqual(["backup"]);
    expect((await router.complete({ messages: hello })).text).toBe("second");
  });

  it("pays one timeout for a hanging endpoint, then skips it at once until the health TTL expires", async () => {
    const hanging = await serve([{ response: { hang: true } }]);
    const backup = await serve([{ response: { text: "a" } }, { response: { text: "b" } }, { response: { text: "c" } }], "ordered");
    let now = 1_000_000;
    const connectivity = new ConnectivityManager({ now: () => now, ttlMs: 60_000 });
    const router = new Router({ models: models({ slow: { "base-url": hanging.url, "timeout-seconds": 0.3 }, backup: { "base-url": backup.url, "input-price": 1 } }), connectivity });
    const first = performance.now();
    expect((await router.complete({ messages: hello })).text).toBe("a");
    expect(performance.now() - first).toBeGreaterThanOrEqual(290);
    const connectionsAfterTimeout = hanging.connections();
    const second = performance.now();
    expect((await router.complete({ messages: hello })).text).toBe("b");
    expect(performance.now() - second).toBeLessThan(250);
    expect(hanging.connections()).toBe(connectionsAfterTimeout);
    now += 60_000; // verdict expired: the endpoint is tried again
    expect(router.chainFor().chain.map((entry) => entry.name)).toEqual(["slow", "backup"]);
  });

  it("picks the cheapest model that meets the tier", async () => {
    const server = await serve([{ response: { text: "x" } }, { response: { text: "y" } }], "ordered");
    const router = new Router({
      models: models({
        big: { "base-url": server.url, tier: "large", "input-price": 5, "output-price": 15 },
        mid: { "base-url": server.url, tier: "medium", "input-price": 1, "output-price": 2 },
        tiny: { "base-url": server.url, tier: "small", "input-price": 0.1, "output-price": 0.2 },
      }),
    });
    expect(router.chainFor("small").chain.map((entry) => entry.name)).toEqual(["tiny", "mid", "big"]);
    expect(router.chainFor("large").chain.map((entry) => entry.name)).toEqual(["big"]);
    expect((await router.complete({ messages: hello, tier: "medium" })).model).toBe("mid");
  });

  it("says which models failed and why when none can answer", async () => {
    const router = new Router({ models: models({ dead: { "base-url": await closedPortUrl() } }) });
    const error = await router.complete({ messages: hello }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoModelAvailableError);
    expect((error as Error).message).toMatch(/no model could serve a small-tier call: dead: model dead .* is unreachable/);
  });

  it("skips cloud models whose API key is not set", async () => {
    const router = new Router({ models: parseModelsTable({ gpt: { provider: "openai", model: "gpt-4o-mini" } }).models, env: {} });
    await expect(router.complete({ messages: hello })).rejects.toThrow(/gpt: no API key \(set OPENAI_API_KEY\)/);
  });

  it("stops at once when the caller aborts, without falling back or marking the model down", async () => {
    const hanging = await serve([{ response: { hang: true } }]);
    const backup = await serve([{ response: { text: "should not be asked" } }]);
    const router = new Router({ models: models({ a: { "base-url": hanging.url }, b: { "base-url": backup.url, "input-price": 1 } }) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(router.complete({ messages: hello, signal: controller.signal })).rejects.toThrow(/abort/i);
    expect(backup.requests).toHaveLength(0);
    expect(router.connectivity.health(router.models[0]!).state).toBe("unknown");
  });

  it("charges a stream the caller stops reading at its estimate and leaves no reservation open", async () => {
    const server = await serve([{ response: { text: "a b c d e f g h", usage: { prompt_tokens: 100, completion_tokens: 100 } } }]);
    const budget = new Budget({ usd: 1 });
    const router = new Router({ models: models({ paid: { "base-url": server.url, "input-price": 1000, "output-price": 1000 } }), budget });
    for await (const event of router.stream({ messages: hello, maxOutputTokens: 100, agent: "docs" })) {
      expect(event).toMatchObject({ type: "text-delta", text: "a " });
      break;
    }
    // "hello" is 2 tokens and "a " 1 token at chars/4; $1000/M each = $0.003.
    expect(budget.spentBy("docs")).toEqual({ usd: 0.003, tokens: 3, calls: 1 });
    expect(budget.remaining().usd).toBe(0.997);
  });

  it("charges the budget for the rounds of structured output that never became valid JSON", async () => {
    const server = await serve(Array.from({ length: 3 }, () => ({ response: { text: "no json here", usage: { prompt_tokens: 10, completion_tokens: 10 } } })));
    const budget = new Budget();
    const router = new Router({ models: models({ paid: { "base-url": server.url, "input-price": 1, "output-price": 1 } }), budget });
    await expect(router.complete({ messages: hello, schema: { type: "object" } })).rejects.toBeInstanceOf(StructuredOutputError);
    expect(budget.spent).toEqual({ usd: 0.00006, tokens: 60, calls: 1 });
  });

  it("retries and falls back for streams too, as long as nothing was streamed yet", async () => {
    const limited = await serve([{ response: { status: 429, headers: { "retry-after": "1" }, body: { error: { message: "busy" } } } }, { response: { status: 400, body: { error: { message: "bad" } } } }]);
    const backup = await serve([{ response: { text: "streamed by backup" } }]);
    const waits: number[] = [];
    const router = new Router({
      models: models({ first: { "base-url": limited.url }, backup: { "base-url": backup.url, "input-price": 1 } }),
      sleep: async (ms) => void waits.push(ms),
      random: () => 0,
    });
    let text = "";
    let last: unknown;
    for await (const event of router.stream({ messages: hello })) {
      if (event.type === "text-delta") text += event.text;
      last = event;
    }
    expect(text).toBe("streamed by backup");
    expect(last).toMatchObject({ type: "finish", model: "backup" });
    expect(waits).toEqual([1000]);
    expect(limited.requests).toHaveLength(2);
  });
});
