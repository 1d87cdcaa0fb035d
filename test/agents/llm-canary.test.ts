import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stateDirectory } from "../../src/fleet/index.js";
import { BIN } from "../helpers/cli.js";
import { chatCompletion, messagesOf, startFakeModel, type FakeModel, type ReceivedRequest } from "./fake-model.js";
import { block, git, makeRepo, removeTempDirs, tempDir } from "./llm-support.js";

/**
 * The canary test of issue 12: a secret in every place a key can come from, providers that echo
 * the key they received in every field they have, a repository test that prints the environment;
 * after two real `pyagent improve` runs (the built CLI, in a child process), no canary is in any
 * file under `.pyagent/` (the SQLite store and its WAL included), the run report, stdout, stderr,
 * or any request a model received, except each key in the Authorization header of its own server.
 */
const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const CANARY = {
  /** 45 characters of no known format, from `api-key-file` (the issue's leaked key was 45 long). */
  file: `cnyfile${hex(19)}`,
  /** A short `sk-` key, from the variable `api-key-env` names: too short for the sk- pattern. */
  env: `sk-cny${hex(3)}`,
  /** From the provider's default variable (OPENAI_API_KEY). */
  openai: `cnyopenai${hex(12)}`,
  /** PYAGENT_API_KEY, sent to a `--model URL` server. */
  url: `cnyurl${hex(12)}`,
};

const SHOUT = `def shout(text):\n    return text.upper() + "!"`;

function files(keyFile: string): Record<string, string> {
  return {
    "pkg/__init__.py": "",
    "pkg/text.py": `${SHOUT}\n\n\ndef whisper(text):\n    return text.lower()\n`,
    "tests/test_text.py": 'from pkg.text import shout, whisper\n\n\ndef test_shout():\n    assert shout("hi") == "HI!"\n\n\ndef test_whisper():\n    assert whisper("HI") == "hi"\n',
    // A repository test that prints every key it can find, and fails, so its output is kept.
    "tests/test_env.py": [
      "import os",
      "",
      "",
      "def test_prints_environment():",
      '    for name in ("OPENAI_API_KEY", "CANARY_SERVICE_KEY", "PYAGENT_API_KEY"):',
      '        print(name, "=", os.environ.get(name))',
      "    try:",
      `        print("key file:", open(${JSON.stringify(keyFile)}).read())`,
      "    except OSError as error:",
      '        print("key file unreadable:", error)',
      '    assert False, "printed the environment"',
      "",
    ].join("\n"),
  };
}

const servers: FakeModel[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  removeTempDirs();
});

const auth = (request: ReceivedRequest) => String(request.headers.authorization ?? "");
const echoHeaders = (request: ReceivedRequest) => ({ "x-echo-authorization": auth(request), "x-request-body-echo": encodeURIComponent(auth(request)) });

/** A model that does the work, echoing the key it received in its text, a tool call's arguments and its headers. */
function workingModel(request: ReceivedRequest) {
  const key = auth(request);
  const asked = messagesOf(request);
  const reply = (content: string) => ({ headers: echoHeaders(request), body: chatCompletion(content, JSON.stringify({ key, note: `called with ${key}` })) });
  if (asked.includes("director of a fleet")) {
    return reply(JSON.stringify({ tasks: [{ agent: "docstrings", files: ["pkg/text.py"], benefit: 20, estimatedCostUsd: 0.001, rationale: `undocumented; my key is ${key}` }] }));
  }
  if (asked.includes("strict code reviewer")) {
    return reply(JSON.stringify({ summary: `fine (reviewed with ${key})`, comments: [{ path: "pkg/text.py", line: 1, body: `seen with ${key}` }], verdict: "approve", score: 8 }));
  }
  if (asked.includes("were not accepted (attempt 2")) {
    return reply(`Fixed, using ${key}.\n${block("pkg/text.py", SHOUT, `def shout(text):\n    """Return the text in capitals, with an exclamation mark."""\n    return text.upper() + "!"`)}`);
  }
  if (asked.includes("documentation engineer")) {
    return reply(`Authorization was ${key}.\n${block("pkg/text.py", SHOUT, `def shout(text):\n    """Return the text in capitals."""\n    return text.upper()`)}`);
  }
  return { status: 400, headers: echoHeaders(request), body: { error: { message: `unexpected request with ${key}`, type: "invalid_request_error" } } };
}

async function serve(answer: (request: ReceivedRequest) => ReturnType<typeof workingModel>): Promise<FakeModel> {
  const server = await startFakeModel((request) => answer(request));
  servers.push(server);
  return server;
}

/** The built CLI in a child process (its own environment, real stdout and stderr). */
function pyagent(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, PYAGENT_LOG_LEVEL: "debug" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("secrets PyAgent was given", () => {
  it("appear in no file under .pyagent/, no report, no output and no request to a model, wherever they came from and whatever echoed them", { timeout: 240_000 }, async () => {
    const keyDirectory = tempDir("pyagent-keys-");
    const keyFile = join(keyDirectory, "model.key");
    writeFileSync(keyFile, `${CANARY.file}\n`);
    // Cheapest first: the key-file model refuses its key and echoes it, the env-var model answers
    // 400 echoing its key, the OPENAI_API_KEY model does the work and echoes its key everywhere.
    const fileServer = await serve((request) => ({ status: 401, headers: echoHeaders(request), body: { error: { message: `Incorrect API key provided: ${auth(request)}`, type: "invalid_request_error" } } }));
    const envServer = await serve((request) => ({ status: 400, headers: echoHeaders(request), body: { error: { message: `no such model for key ${auth(request)}`, type: "invalid_request_error" } } }));
    const openaiServer = await serve(workingModel);
    const urlServer = await serve(workingModel);

    const root = makeRepo(files(keyFile));
    const model = (name: string, provider: string, url: string, price: number, extra: string) =>
      `[tool.pyagent.models.${name}]\nprovider = "${provider}"\nmodel = "fake"\nbase-url = "${url}"\ntier = "medium"\ninput-price = ${price}\noutput-price = ${price}\n${extra}`;
    writeFileSync(
      join(root, "pyproject.toml"),
      [
        '[project]\nname = "sample"\nversion = "0.1.0"\n',
        model("by-file", "openai-compatible", fileServer.url, 0.1, `api-key-file = ${JSON.stringify(keyFile)}\n`),
        model("by-env", "openai-compatible", envServer.url, 0.2, 'api-key-env = "CANARY_SERVICE_KEY"\n'),
        model("by-default-env", "openai", openaiServer.url, 0.3, ""),
      ].join("\n"),
    );
    git(root, "add", "pyproject.toml");
    git(root, "commit", "-q", "-m", "configure models");
    const env = { OPENAI_API_KEY: CANARY.openai, CANARY_SERVICE_KEY: CANARY.env, PYAGENT_API_KEY: CANARY.url };
    const common = ["--agents", "docstrings", "--format", "json", "-j", "1", "--python", "/usr/bin/python3"];

    const routed = await pyagent(["improve", root, ...common], env);
    expect(routed.code, routed.stderr).toBe(0);
    const first = JSON.parse(routed.stdout) as { report: string; tasks: Array<{ agent: string; state: string }> };
    expect(first.tasks).toEqual([expect.objectContaining({ agent: "docstrings", state: "committed" })]);
    const pinned = await pyagent(["improve", root, ...common, "--model", urlServer.url], env);
    expect(pinned.code, pinned.stderr).toBe(0);
    expect((JSON.parse(pinned.stdout) as typeof first).tasks).toEqual([expect.objectContaining({ agent: "docstrings", state: "committed" })]);

    // Every path was exercised: the refusing and failing models were asked, the working ones did
    // the director's, the editor's (with a reflexion retry) and the reviewer's calls, and the
    // repository test that prints the environment ran.
    const chats = (server: FakeModel) => server.requests.filter((request) => request.method === "POST");
    expect(chats(fileServer).length).toBeGreaterThan(0);
    expect(chats(envServer).length).toBeGreaterThan(0);
    for (const server of [openaiServer, urlServer]) expect(chats(server).map(messagesOf).filter((text) => text.includes("were not accepted (attempt 2")).length).toBe(1);
    const report = readFileSync(first.report, "utf8");
    expect(report).toContain("test_prints_environment");

    const places: Array<[string, string | Buffer]> = [
      ["stdout of the routed run", routed.stdout],
      ["stderr of the routed run", routed.stderr],
      ["stdout of the pinned run", pinned.stdout],
      ["stderr of the pinned run", pinned.stderr],
      ...filesUnder(stateDirectory(root)).map((path): [string, Buffer] => [path, readFileSync(path)]),
    ];
    const owners: Array<[FakeModel, string]> = [[fileServer, CANARY.file], [envServer, CANARY.env], [openaiServer, CANARY.openai], [urlServer, CANARY.url]];
    for (const [server, own] of owners) {
      for (const [index, request] of server.requests.entries()) {
        const { authorization, ...headers } = request.headers;
        // The key goes to its own server, in the Authorization header, and nowhere else.
        if (authorization !== undefined) expect(authorization).toBe(`Bearer ${own}`);
        places.push([`request ${index} to ${server.url}: body`, request.body], [`request ${index} to ${server.url}: headers`, JSON.stringify(headers)]);
      }
    }
    expect(places.some(([where]) => where.endsWith("pyagent.db"))).toBe(true);
    const leaks = places.flatMap(([where, content]) => Object.entries(CANARY).filter(([, canary]) => content.includes(canary)).map(([source]) => `${source} key in ${where}`));
    expect(leaks).toEqual([]);
  });
});
