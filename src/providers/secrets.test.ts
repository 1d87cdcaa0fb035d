import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../observability/index.js";
import { Router, type ScriptedServer, SqliteResponseCache, parseModelsTable, readApiKey, startScriptedServer } from "./index.js";

// A key of no well-known format: pattern-based redaction alone would not catch it.
const KEY = "zq7plainkey0f8e7d6c5b4a";

let server: ScriptedServer | undefined;
afterEach(async () => server?.close());

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: "debug", destination }) };
}

describe("API keys", () => {
  it("reach the server but never a log line, a cache row or an error message, even when the server echoes them", async () => {
    server = await startScriptedServer({
      version: 1,
      interactions: [
        { response: { status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}`, type: "invalid_request_error" } } } },
        { response: { status: 500, body: { error: { message: `internal error for key ${KEY}` } } } },
        { response: { text: "fine" } },
      ],
    });
    const { lines, logger } = capture();
    const database = new Database(":memory:");
    const table = { provider: "openai-compatible", model: "m", "base-url": server.url, "api-key-env": "MY_SERVER_KEY" };
    const env = { MY_SERVER_KEY: KEY };
    const first = new Router({ models: parseModelsTable({ keyed: table }).models, env, logger, cache: new SqliteResponseCache(database), retry: { attemptsPerModel: 1 } });
    const error = (await first.complete({ messages: [{ role: "user", content: "hi" }] }).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toContain("Incorrect API key provided: [REDACTED]");
    const second = new Router({ models: parseModelsTable({ keyed: table }).models, env, logger, cache: new SqliteResponseCache(database), sleep: async () => {} });
    expect((await second.complete({ messages: [{ role: "user", content: "hi" }] })).text).toBe("fine");
    expect(server.requests.filter((request) => request.path === "/chat/completions").every((request) => request.hasAuthorization)).toBe(true);

    const rows = JSON.stringify(database.prepare("SELECT * FROM provider_response_cache").all());
    expect(rows).toContain("fine");
    expect(lines.length).toBeGreaterThan(0);
    for (const text of [error.message, JSON.stringify(error), String(error.stack), JSON.stringify((error as { context?: unknown }).context), lines.join(""), rows]) {
      expect(text).not.toContain(KEY);
    }
  });

  it("come from the environment variable the model names, or from a file the user names", () => {
    const directory = mkdtempSync(join(tmpdir(), "pyagent-keys-"));
    try {
      writeFileSync(join(directory, "key.txt"), `${KEY}\n`);
      const [fromEnv, fromFile, fromDefault] = parseModelsTable({
        a: { provider: "openai-compatible", model: "m", "base-url": "http://127.0.0.1:1/v1", "api-key-env": "A_KEY" },
        b: { provider: "anthropic", model: "claude-sonnet-4-5", "api-key-file": "key.txt" },
        c: { provider: "openai", model: "gpt-4o-mini" },
      }).models;
      expect(readApiKey(fromEnv!, { A_KEY: KEY }, directory)).toBe(KEY);
      expect(readApiKey(fromFile!, {}, directory)).toBe(KEY);
      expect(readApiKey(fromDefault!, { OPENAI_API_KEY: "k1" }, directory)).toBe("k1");
      expect(readApiKey(fromDefault!, {}, directory)).toBeUndefined();
      expect(JSON.stringify([fromEnv, fromFile, fromDefault])).not.toContain(KEY); // entries hold where the key is, not the key
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("never go to a model inside a prompt, and come back masked when a model echoes them, streamed or not, cached or not", async () => {
    const echoed = `here is your key: ${KEY} and again ${JSON.stringify({ key: KEY })}`;
    server = await startScriptedServer({ version: 1, interactions: [{ response: { text: echoed } }, { response: { text: echoed } }] });
    const database = new Database(":memory:");
    const table = { provider: "openai-compatible", model: "m", "base-url": server.url, "api-key-env": "ECHO_KEY" };
    const router = () => new Router({ models: parseModelsTable({ keyed: table }).models, env: { ECHO_KEY: KEY }, cache: new SqliteResponseCache(database) });
    // A check's output that printed the key, sent back to the model (reflexion).
    const messages = [{ role: "user" as const, content: `the test failed:\nOPENAI_API_KEY=${KEY}\nassert 1 == 2` }];
    const first = await router().complete({ messages });
    expect(first.text).toBe("here is your key: [REDACTED] and again {\"key\":\"[REDACTED]\"}");
    let streamed = "";
    for await (const event of router().stream({ messages: [{ role: "user", content: "stream it" }] })) if (event.type === "text-delta") streamed += event.text;
    expect(streamed).toBe(first.text);
    const cached = await router().complete({ messages });
    expect(cached).toMatchObject({ cached: true, text: first.text });
    const sent = JSON.stringify(server.requests.map((request) => request.body));
    expect(sent).toContain("assert 1 == 2");
    expect(sent).toContain("OPENAI_API_KEY=[REDACTED]");
    const rows = database.prepare("SELECT * FROM provider_response_cache").all() as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(2);
    for (const text of [sent, JSON.stringify(rows), streamed]) expect(text).not.toContain(KEY);
  });
});
