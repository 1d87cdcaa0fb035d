import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModelFile } from "../../src/engine/model-file/index.js";

/** `pyagent generate` and `pyagent serve` run as real processes from the sources (through tsx). */
let directory: string;
let modelPath: string;
let entry: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "pyagent-engine-cli-"));
  modelPath = join(directory, "tiny.gguf");
  createModelFile({ out: modelPath, preset: "tiny", dtype: "q8_0", seed: 2 });
  entry = join(directory, "cli.mjs");
  const main = pathToFileURL(resolve(import.meta.dirname, "../../src/interface/cli/main.ts")).href;
  writeFileSync(entry, `import { main } from ${JSON.stringify(main)};\nprocess.exitCode = await main(process.argv);\n`);
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

function start(args: string[]): { child: ChildProcess; output: () => { stdout: string; stderr: string }; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], { cwd: resolve(import.meta.dirname, "../.."), env: { ...process.env, PYAGENT_LOG_LEVEL: "silent" } });
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
});
