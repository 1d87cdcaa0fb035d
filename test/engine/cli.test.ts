import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceCliWithModel } from "../helpers/source-cli.js";

/** `pyagent generate` and `pyagent serve` run as real processes from the sources (through tsx). */
let directory: string;
let modelPath: string;
let entry: string;

beforeAll(() => {
  ({ directory, modelPath, entry } = sourceCliWithModel("pyagent-engine-cli-"));
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

function start(args: string[], env: Record<string, string> = { PYAGENT_LOG_LEVEL: "silent" }): { child: ChildProcess; output: () => { stdout: string; stderr: string }; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], { cwd: resolve(import.meta.dirname, "../.."), env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => (stdout += chunk));
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return { child, output: () => ({ stdout, stderr }), exit };
}

describe("engine CLI", () => {
  it("pyagent generate streams the same text for the same seed and rejects a bad flag with exit code 2", async () => {
    const args = ["generate", "--model", modelPath, "--prompt", "Once upon a time", "--max-tokens", "12", "--seed", "9", "--threads", "1"];
    const [first, second, bad] = [start(args), start(args), start(["generate", "--model", modelPath, "--prompt", "x", "--temperature", "-1"])];
    expect(await first.exit).toBe(0);
    expect(await second.exit).toBe(0);
    expect(first.output().stdout.trim().length).toBeGreaterThan(0);
    expect(second.output().stdout).toBe(first.output().stdout);
    expect(await bad.exit).toBe(2);
    expect(bad.output().stderr).toContain("--temperature");
  });

  it("pyagent serve prints its URL, serves, and shuts down cleanly on Ctrl-C", async () => {
    const server = start(["serve", "--model", modelPath, "--port", "0", "--threads", "1"]);
    const deadline = Date.now() + 15_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      url = /(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(server.output().stdout)?.[1];
      await new Promise((done) => setTimeout(done, 50));
    }
    expect(url, server.output().stderr).toBeDefined();
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string; model: string };
    expect(health).toMatchObject({ status: "ok", model: "tiny" });
    server.child.kill("SIGINT");
    expect(await server.exit).toBe(0);
    expect(server.output().stdout).toContain("shutting down");
  });

  it("pyagent serve logs the engine stats /metrics exposes while it works", async () => {
    const server = start(["serve", "--model", modelPath, "--port", "0", "--threads", "1", "--stats-interval", "0.2", "--kv-blocks", "32"], { PYAGENT_LOG_LEVEL: "info" });
    let url: string | undefined;
    for (let i = 0; i < 200 && url === undefined; i++) {
      await new Promise((done) => setTimeout(done, 50));
      url = /(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(server.output().stdout)?.[1];
    }
    expect(url, server.output().stderr).toBeDefined();
    expect(server.output().stdout).toContain("KV cache 32 blocks of 16 tokens");
    const response = await fetch(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", prompt: "Once upon a time", max_tokens: 5, temperature: 0 }),
    });
    expect(response.status).toBe(200);
    // Logs go to standard error (pino, JSON lines); the engine stats line follows the finished request.
    for (let i = 0; i < 100 && !server.output().stderr.includes('"requestsFinished":1'); i++) await new Promise((done) => setTimeout(done, 50));
    server.child.kill("SIGINT");
    expect(await server.exit).toBe(0);
    const line = server.output().stderr.split("\n").findLast((text) => text.includes('"msg":"engine stats"'));
    expect(JSON.parse(line ?? "{}"), server.output().stderr).toMatchObject({ requestsFinished: 1, kvBlocksUsed: 0, kvBlocksFree: 32 });
  });

  it("pyagent serve refuses bad batching flags with exit code 2 and a KV pool larger than memory with the numbers", async () => {
    const zero = start(["serve", "--model", modelPath, "--port", "0", "--max-seqs", "0"]);
    expect(await zero.exit).toBe(2);
    expect(zero.output().stderr).toContain("--max-seqs");
    const block = start(["serve", "--model", modelPath, "--port", "0", "--block-size", "x"]);
    expect(await block.exit).toBe(2);
    expect(block.output().stderr).toContain("--block-size");
    const huge = start(["serve", "--model", modelPath, "--port", "0", "--kv-blocks", "1000000000000"]);
    expect(await huge.exit).not.toBe(0);
    expect(huge.output().stderr).toMatch(/KV pool of 1000000000000 blocks .* needs .* ask for at most \d+ blocks/);
  });
});
