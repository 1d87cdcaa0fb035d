import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Router, parseModelsTable } from "../index.js";
import { parseCassette, requestHash, startCassetteRecorder, startScriptedServer } from "./index.js";

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

function routerAt(url: string) {
  return new Router({ models: parseModelsTable({ s: { provider: "openai-compatible", model: "m", "base-url": url } }).models, sleep: async () => {} });
}

describe("cassettes", () => {
  it("replays matched interactions by request hash or by a substring of the messages", async () => {
    const messages = [{ role: "user" as const, content: "exact question" }];
    const server = await startScriptedServer({
      version: 1,
      mode: "matched",
      interactions: [
        { match: { hash: requestHash({ messages, stream: false }) }, response: { text: "by hash" } },
        { match: { contains: "docstring" }, response: { text: "by substring" } },
      ],
    });
    open.push(server);
    const router = routerAt(server.url);
    expect((await router.complete({ messages, noCache: true })).text).toBe("by hash");
    expect((await router.complete({ messages: [{ role: "user", content: "write a docstring" }], noCache: true })).text).toBe("by substring");
    await expect(router.complete({ messages: [{ role: "user", content: "unknown" }], noCache: true })).rejects.toThrow(/the cassette has no answer/);
  });

  it("records real traffic through a proxy (streamed and not, no request headers) and replays it", async () => {
    const directory = mkdtempSync(join(tmpdir(), "pyagent-cassette-"));
    try {
      const upstream = await startScriptedServer({
        version: 1,
        mode: "ordered",
        models: ["real"],
        interactions: [{ response: { text: "recorded answer", usage: { prompt_tokens: 4, completion_tokens: 2 } } }, { response: { text: "streamed answer", usage: { prompt_tokens: 4, completion_tokens: 2 } } }],
      });
      open.push(upstream);
      const file = join(directory, "cassette.json");
      const recorder = await startCassetteRecorder({ target: upstream.url, file });
      const live = new Router({ models: parseModelsTable({ s: { provider: "openai-compatible", model: "real", "base-url": recorder.url, "api-key-env": "K" } }).models, env: { K: "secret-key-value-123" } });
      await fetch(`${recorder.url}/models`);
      expect((await live.complete({ messages: [{ role: "user", content: "q1" }] })).text).toBe("recorded answer");
      const streamed: string[] = [];
      for await (const event of live.stream({ messages: [{ role: "user", content: "q2" }] })) if (event.type === "text-delta") streamed.push(event.text);
      expect(streamed.join("")).toBe("streamed answer");
      await recorder.close();
      expect(readFileSync(file, "utf8")).not.toContain("secret-key-value-123");
      const cassette = parseCassette(file);
      expect(cassette).toMatchObject({ mode: "matched", models: ["real"] });
      expect(cassette.interactions).toHaveLength(2);

      const replay = await startScriptedServer(file);
      open.push(replay);
      const offline = routerAt(replay.url);
      expect(await offline.complete({ messages: [{ role: "user", content: "q1" }] })).toMatchObject({ text: "recorded answer", usage: { inputTokens: 4, outputTokens: 2 } });
      const replayed: string[] = [];
      for await (const event of offline.stream({ messages: [{ role: "user", content: "q2" }] })) if (event.type === "text-delta") replayed.push(event.text);
      expect(replayed.join("")).toBe("streamed answer");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("rejects a cassette of another version loudly", () => {
    expect(() => parseCassette({ version: 2 } as never)).toThrow(/cassette version 2 is not readable/);
  });
});
