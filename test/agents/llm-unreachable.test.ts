import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { chatCompletion, startFakeModel, type FakeModel } from "./fake-model.js";
import { configureModels, git, improveJson, makeRepo, removeTempDirs } from "./llm-support.js";

const FILES = {
  "pkg/__init__.py": "",
  "pkg/text.py": 'def shout(text):\n    return text.upper() + "!"\n\n\ndef whisper(text):\n    return text.lower()\n',
  "pkg/util.py": "def double(value):\n    return value * 2\n",
  "tests/test_text.py": 'from pkg.text import shout, whisper\n\n\ndef test_shout():\n    assert shout("hi") == "HI!"\n\n\ndef test_whisper():\n    assert whisper("HI") == "hi"\n',
  "tests/test_util.py": "from pkg.util import double\n\n\ndef test_double():\n    assert double(4) == 8\n",
};

const PLAN = JSON.stringify({
  tasks: [
    { agent: "docstrings", files: ["pkg/text.py"], benefit: 20, rationale: "public API undocumented" },
    { agent: "type-hints", files: ["pkg/util.py"], benefit: 10, rationale: "untyped" },
  ],
});

const servers: FakeModel[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  removeTempDirs();
});

async function fake(...args: Parameters<typeof startFakeModel>): Promise<FakeModel> {
  const server = await startFakeModel(...args);
  servers.push(server);
  return server;
}

const improveArgs = (root: string) => ["improve", root, "--agents", "docstrings,type-hints", "--no-progress", "-j", "1", "--python", "/usr/bin/python3"];
const runBranches = (root: string) => git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads/pyagent");

describe("a model that cannot be reached", () => {
  it("stops improve before the run with one line and exit code 6 when the connection is refused", { timeout: 30_000 }, async () => {
    const gone = await fake(() => ({ body: {} }));
    await gone.close();
    const root = makeRepo(FILES);
    configureModels(root, [{ name: "gone", url: gone.url }]);
    const result = await runCli(...improveArgs(root));
    expect(result.code).toBe(6);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^pyagent: no model of this run can be reached: gone \\(${gone.url.replace(/[.?/]/g, "\\$&")}\\): unreachable: .*ECONNREFUSED`));
    expect(result.stdout).toBe("");
    expect(runBranches(root)).toBe(""); // nothing was started
    expect((await runCli("runs", root)).stdout).toBe("no runs\n");
  });

  it("stops improve before the run with exit code 6 when the server refuses the API key (401)", { timeout: 30_000 }, async () => {
    const refusing = await fake(() => ({ status: 401, body: { error: { message: "invalid key" } } }), { listModels: () => ({ status: 401, body: { error: { message: "invalid key" } } }) });
    const root = makeRepo(FILES);
    configureModels(root, [{ name: "locked", url: refusing.url }]);
    const result = await runCli(...improveArgs(root));
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/^pyagent: no model of this run can be reached: locked .*answered HTTP 401/);
    expect(refusing.requests.filter((request) => request.method === "POST")).toHaveLength(0);
    expect(runBranches(root)).toBe("");
  });

  it("stops LLM work with exit code 6 when the model goes away during the run, counting the rest as skipped, not as failed proofs", { timeout: 60_000 }, async () => {
    // The director's call is answered; then the server stops listening.
    const flaky = await fake((_request, index) => (index === 0 ? { body: chatCompletion(PLAN) } : "close"));
    const root = makeRepo(FILES);
    configureModels(root, [{ name: "flaky", url: flaky.url }]);
    const run = await improveJson(root, "--agents", "docstrings,type-hints");
    expect(run.code).toBe(6);
    expect(run.json.models!.stopped).toMatch(/^model unavailable: no model could serve a medium-tier call: flaky: model flaky .* is unreachable/);
    expect(run.json.tasks.map((task) => [task.agent, task.state])).toEqual([
      ["docstrings", "skipped"],
      ["type-hints", "skipped"],
    ]);
    for (const task of run.json.tasks) expect(task.reason).toMatch(/^model unavailable: /);
  });

  it("counts a task whose model call failed (HTTP 400) as skipped with the provider's reason, not as a failed proof", { timeout: 60_000 }, async () => {
    const refusing = await fake((_request, index) => (index === 0 ? { body: chatCompletion(PLAN) } : { status: 400, body: { error: { message: "this model does not accept that request", type: "invalid_request_error" } } }));
    const root = makeRepo(FILES);
    configureModels(root, [{ name: "picky", url: refusing.url }]);
    const run = await improveJson(root, "--agents", "docstrings,type-hints");
    expect(run.code).toBe(0);
    expect(run.json.models!.stopped).toBeNull();
    expect(run.json.tasks.map((task) => task.state)).toEqual(["skipped", "skipped"]);
    for (const task of run.json.tasks) expect(task.reason).toMatch(/^model call failed: .*answered HTTP 400: this model does not accept that request/);
  });
});
