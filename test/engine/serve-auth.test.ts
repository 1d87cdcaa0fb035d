import { type ChildProcess, spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceCliWithModel } from "../helpers/source-cli.js";

/** `pyagent serve`'s API key sources and its refusal to serve the network unauthenticated, as real processes over real HTTP. */
const KEY = "serve-auth-canary-4f1c9e";
let directory: string;
let modelPath: string;
let entry: string;

beforeAll(() => {
  ({ directory, modelPath, entry } = sourceCliWithModel("pyagent-serve-auth-"));
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  /** The port's URL on 127.0.0.1, once it serves; undefined when it exited first. */
  url: string | undefined;
  exit: Promise<number | null>;
  output: () => { stdout: string; stderr: string };
}

async function serve(args: string[], env: Record<string, string> = {}): Promise<Started> {
  const environment: NodeJS.ProcessEnv = { ...process.env, PYAGENT_LOG_LEVEL: "silent", ...env };
  if (!("PYAGENT_API_KEY" in env)) delete environment.PYAGENT_API_KEY;
  const child = spawn(process.execPath, ["--import", "tsx", entry, "serve", "--model", modelPath, "--port", "0", "--threads", "1", ...args], {
    cwd: resolve(import.meta.dirname, "../.."),
    env: environment,
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => (stdout += chunk));
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  let exited = false;
  void exit.then(() => (exited = true));
  let port: string | undefined;
  for (let i = 0; i < 600 && port === undefined && !exited; i++) {
    await new Promise((done) => setTimeout(done, 50));
    port = /http:\/\/[^\s]+:(\d+)\/v1/.exec(stdout)?.[1];
  }
  return { child, url: port === undefined ? undefined : `http://127.0.0.1:${port}`, exit, output: () => ({ stdout, stderr }) };
}

async function stop(server: Started): Promise<void> {
  if (server.child.exitCode === null) server.child.kill("SIGINT");
  await server.exit;
}

async function status(url: string, key?: string): Promise<number> {
  const response = await fetch(`${url}/v1/models`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });
  await response.arrayBuffer();
  return response.status;
}

describe("pyagent serve API keys", () => {
  it("takes the key from --api-key-file, PYAGENT_API_KEY or --api-key: 401 without it or with another, 200 with it", async () => {
    const keyFile = join(directory, "key.txt");
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
    const servers = await Promise.all([
      serve(["--api-key-file", keyFile]),
      serve([], { PYAGENT_API_KEY: KEY }),
      serve(["--api-key", KEY]),
    ]);
    try {
      for (const server of servers) {
        expect(server.url, server.output().stderr).toBeDefined();
        expect(server.output().stdout).toContain("API key required");
        expect(await status(server.url!)).toBe(401);
        expect(await status(server.url!, "wrong-key")).toBe(401);
        expect(await status(server.url!, KEY)).toBe(200);
      }
    } finally {
      await Promise.all(servers.map(stop));
    }
    for (const server of servers) expect(`${server.output().stdout}${server.output().stderr}`).not.toContain(KEY);
  });

  it("refuses a missing or empty key file, and both key flags, with one clear line and exit code 2", async () => {
    const empty = join(directory, "empty.txt");
    writeFileSync(empty, "  \n");
    const [missing, blank, both] = await Promise.all([
      serve(["--api-key-file", join(directory, "no-such-key.txt")]),
      serve(["--api-key-file", empty]),
      serve(["--api-key-file", empty, "--api-key", KEY]),
    ]);
    expect(await missing.exit).toBe(2);
    expect(missing.output().stderr.trim()).toBe(`pyagent: cannot read --api-key-file ${join(directory, "no-such-key.txt")}: no such file`);
    expect(await blank.exit).toBe(2);
    expect(blank.output().stderr.trim()).toBe(`pyagent: --api-key-file ${empty} is empty: write the key in it`);
    expect(await both.exit).toBe(2);
    expect(both.output().stderr.trim()).toBe("pyagent: give --api-key-file or --api-key, not both");
  });

  it("says in its help where the key can come from and that --api-key shows in ps", async () => {
    const help = await serve(["--help"]);
    expect(await help.exit).toBe(0);
    const text = help.output().stdout.replace(/\s+/g, " ");
    expect(text).toContain("--api-key-file <file>");
    expect(text).toContain("PYAGENT_API_KEY");
    expect(text).toMatch(/--api-key <key> .*other users of this machine see it \(ps\)/);
    expect(text).toContain("--insecure-no-auth");
  });
});

describe("pyagent serve on a network address", () => {
  it("refuses a host other than loopback without an API key, naming the ways out, with exit code 2", async () => {
    const refused = await serve(["--host", "0.0.0.0"]);
    expect(await refused.exit).toBe(2);
    expect(refused.url).toBeUndefined();
    expect(refused.output().stderr).toContain("--host 0.0.0.0 makes the server reachable from other machines, and no API key is set");
    expect(refused.output().stderr).toContain("--insecure-no-auth");
  });

  it("serves the network with a key, or without one after a loud warning when --insecure-no-auth says so", async () => {
    const [keyed, open, loopback] = await Promise.all([
      serve(["--host", "0.0.0.0"], { PYAGENT_API_KEY: KEY }),
      serve(["--host", "0.0.0.0", "--insecure-no-auth"]),
      serve(["--host", "localhost"]),
    ]);
    try {
      expect(keyed.url, keyed.output().stderr).toBeDefined();
      expect(await status(keyed.url!)).toBe(401);
      expect(await status(keyed.url!, KEY)).toBe(200);
      expect(keyed.output().stderr).not.toContain("WARNING");
      expect(open.url, open.output().stderr).toBeDefined();
      expect(open.output().stderr).toContain("WARNING: listening on 0.0.0.0 without an API key (--insecure-no-auth)");
      expect(await status(open.url!)).toBe(200);
      expect(loopback.url, loopback.output().stderr).toBeDefined();
      expect(loopback.output().stderr).not.toContain("WARNING");
    } finally {
      await Promise.all([keyed, open, loopback].map(stop));
    }
  });
});
