import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { startScriptedServer, type Cassette, type ScriptedServer } from "../../src/providers/index.js";
import { answer, auditRecords, block, configureModels, git, improveJson, makeRepo, removeTempDirs, showFile } from "./llm-support.js";

const CALC = `def classify(n):
    if n is None:
        return "none"
    if n < 0:
        if n < -100:
            return "very negative"
        return "negative"
    if n == 0:
        return "zero"
    if n == 7:
        return "lucky"
    if n < 10:
        return "small"
    if n < 100:
        return "medium"
    if n < 1000:
        return "large"
    if n < 10000:
        return "huge"
    return "enormous"
`;

const FILES = {
  "pkg/__init__.py": "",
  "pkg/calc.py": CALC,
  // The key in a comment must never reach the run record unmasked.
  "pkg/text.py": `# deploy key: sk-proj-abcdefghijklmnopqrstuvwx1234\ndef shout(text):\n    return text.upper() + "!"\n\n\ndef whisper(text):\n    return text.lower()\n`,
  "pkg/util.py": "def double(value):\n    return value * 2\n",
  "tests/test_calc.py": `from pkg.calc import classify\n\n\ndef test_classify():\n    assert [classify(v) for v in (None, -500, -1, 0, 5, 50, 500, 5000, 50000)] == ["none", "very negative", "negative", "zero", "small", "medium", "large", "huge", "enormous"]\n`,
  "tests/test_text.py": `from pkg.text import shout, whisper\n\n\ndef test_shout():\n    assert shout("hi") == "HI!"\n\n\ndef test_whisper():\n    assert whisper("HI") == "hi"\n`,
  "tests/test_util.py": "from pkg.util import double\n\n\ndef test_double():\n    assert double(4) == 8\n",
};

const PLAN = JSON.stringify({
  tasks: [
    { agent: "refactor", files: ["pkg/calc.py"], benefit: 30, estimatedCostUsd: 0.001, rationale: "hotspot" },
    { agent: "docstrings", files: ["pkg/text.py"], benefit: 20, estimatedCostUsd: 0.001, rationale: "public API undocumented" },
    { agent: "type-hints", files: ["pkg/util.py"], benefit: 10, estimatedCostUsd: 0.001, rationale: "untyped" },
  ],
});

// The refactor's blocks carry whitespace drift (trailing spaces, a shifted indent) the matcher must tolerate.
const REFACTOR = [
  block("pkg/calc.py", "def classify(n):   ", `_SIZES = ((10, "small"), (100, "medium"), (1000, "large"), (10000, "huge"))\n\n\ndef classify(n):`),
  block("pkg/calc.py", `  if n < 10:\n      return "small"\n  if n < 100:\n      return "medium"\n  if n < 1000:\n      return "large"\n  if n < 10000:\n      return "huge"`, `  for limit, name in _SIZES:\n      if n < limit:\n          return name`),
].join("\n");

const SHOUT = `def shout(text):\n    return text.upper() + "!"`;
const CASSETTE: Cassette = {
  version: 1,
  mode: "matched",
  interactions: [
    answer("director of a fleet", PLAN),
    answer('add type hints\\" by agent', JSON.stringify({ summary: "annotations are too narrow: double() also doubles strings and lists", comments: [{ path: "pkg/util.py", line: 1, body: "value is not only int" }], verdict: "request-changes", score: 2 })),
    answer("strict code reviewer", JSON.stringify({ summary: "behaviour kept, clearer", comments: [], verdict: "approve", score: 8 })),
    answer("were not accepted (attempt 2 of 3)", `The docstring edit dropped the exclamation mark.\n${block("pkg/text.py", SHOUT, `def shout(text):\n    """Return the text in capitals, with an exclamation mark."""\n    return text.upper() + "!"`)}`),
    answer("documentation engineer", block("pkg/text.py", SHOUT, `def shout(text):\n    """Return the text in capitals."""\n    return text.upper()`)),
    answer("refactoring engineer", REFACTOR),
    answer("typing engineer", block("pkg/util.py", "def double(value):", "def double(value: int) -> int:")),
  ],
};

const servers: ScriptedServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  removeTempDirs();
});

async function scripted(cassette: Cassette): Promise<ScriptedServer> {
  const server = await startScriptedServer(cassette);
  servers.push(server);
  return server;
}

const chatRequests = (server: ScriptedServer) => server.requests.filter((request) => request.path.endsWith("/chat/completions"));

describe("LLM agents in pyagent improve, against a scripted model over real HTTP", () => {
  it("runs the director's 3 tasks: one committed, one committed after a reflexion retry, one rejected by the model reviewer; the cache makes a rerun free", { timeout: 60_000 }, async () => {
    const server = await scripted(CASSETTE);
    const root = makeRepo(FILES);
    configureModels(root, [{ name: "scripted", url: server.url }]);

    const first = await improveJson(root, "--model", "scripted", "--agents", "refactor,docstrings,type-hints", "--goal", "make the code easier to read");
    expect(first.code).toBe(0);
    const byAgent = Object.fromEntries(first.json.tasks.map((task) => [task.agent, task]));
    expect(first.json.tasks).toHaveLength(3);
    expect(byAgent.refactor).toMatchObject({ state: "committed" });
    expect(byAgent.docstrings).toMatchObject({ state: "committed" });
    expect(byAgent["type-hints"]).toMatchObject({ state: "rejected" });
    expect(byAgent["type-hints"]!.reason).toContain("model review: annotations are too narrow");
    expect(byAgent["type-hints"]!.review!.map((comment) => comment.message)).toContain("value is not only int");

    // The commits hold the proven edits on the run branch; the user's branch is untouched.
    const branch = first.json.runBranch;
    expect(showFile(root, branch, "pkg/calc.py")).toContain("for limit, name in _SIZES:");
    expect(showFile(root, branch, "pkg/text.py")).toContain('"""Return the text in capitals, with an exclamation mark."""');
    expect(showFile(root, branch, "pkg/util.py")).toBe(FILES["pkg/util.py"]);
    expect(git(root, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");

    // Reflexion: the retry prompt carried the failing pytest output.
    const retry = chatRequests(server).find((request) => JSON.stringify(request.body).includes("were not accepted"));
    expect(JSON.stringify(retry?.body)).toContain("test_shout");

    // Spend per agent, and every prompt and reply in the run record with the key masked.
    const spend = first.json.models!.spend;
    expect(Object.keys(spend.agents).sort()).toEqual(["director", "docstrings", "refactor", "reviewer", "type-hints"]);
    expect(spend.agents.docstrings!.calls).toBe(2);
    expect(spend.total.usd).toBeGreaterThan(0);
    const calls = auditRecords(root, first.json.id).filter((record) => record.type === "model-call");
    expect(calls.length).toBe(spend.total.calls);
    const trail = JSON.stringify(calls);
    expect(trail).toContain("documentation engineer");
    expect(trail).not.toContain("sk-proj-abcdefghijklmnopqrstuvwx1234");
    expect(trail).toContain("[REDACTED]");

    // Same repository, same HEAD, same prompts: every call is a cache hit and costs nothing.
    const before = chatRequests(server).length;
    const second = await improveJson(root, "--model", "scripted", "--agents", "refactor,docstrings,type-hints", "--goal", "make the code easier to read");
    expect(second.json.tasks.map((task) => task.state).sort()).toEqual(["committed", "committed", "rejected"]);
    expect(chatRequests(server).length).toBe(before);
    expect(second.json.models!.spend.total).toMatchObject({ usd: 0, tokens: 0 });
    expect(auditRecords(root, second.json.id).filter((record) => record.type === "model-call").every((record) => record.data.cached === true)).toBe(true);
  });

  it("stops scheduling LLM work exactly at the token budget, finishing what is proven, and says so", { timeout: 40_000 }, async () => {
    const server = await scripted(CASSETTE);
    const root = makeRepo(FILES);
    configureModels(root, [{ name: "scripted", url: server.url }]);
    const limit = 1500;
    // The agents' own plan (no director), no model review: each task is one or two calls of 150 tokens.
    const run = await improveJson(root, "--model", "scripted", "--agents", "refactor,docstrings,type-hints", "--no-cache", "--no-director", "--no-model-review", "--max-output-tokens", "200", "--token-budget", String(limit));
    expect(run.code).toBe(0);
    const models = run.json.models!;
    // Never past the limit, and stopped only when the next call's worst case really could have crossed it.
    const stop = /^budget: the next model call \(up to (\d+) tokens.*could exceed --token-budget 1500 \(spent (\d+) tokens/.exec(models.stopped ?? "");
    expect(stop).not.toBeNull();
    expect(models.spend.total.tokens).toBeLessThanOrEqual(limit);
    expect(Number(stop![2])).toBe(models.spend.total.tokens);
    expect(Number(stop![1]) + models.spend.total.tokens).toBeGreaterThan(limit);
    expect(models.spend.total.calls).toBeGreaterThan(0);
    const skipped = run.json.tasks.filter((task) => task.state === "skipped");
    expect(skipped.length).toBeGreaterThan(0);
    for (const task of skipped) expect(task.reason).toContain("budget: the next model call");
    // What was proven before the stop is committed; the report says why the rest did not run.
    expect(run.json.tasks.some((task) => task.state === "committed")).toBe(true);
    const report = readFileSync(run.json.report, "utf8");
    expect(report).toContain("model spend per agent:");
    expect(report).toContain("stopped LLM work: budget");

    // A USD budget below the first call's worst case starts no model call at all.
    const broke = await improveJson(root, "--model", "scripted", "--agents", "refactor,docstrings", "--no-cache", "--budget", "0.0001");
    expect(broke.json.models!.spend.total).toMatchObject({ calls: 0, usd: 0 });
    expect(broke.json.models!.stopped).toMatch(/could exceed --budget \$0.0001 \(spent 0 tokens, \$0.000000\)/);
    expect(broke.json.tasks.every((task) => task.state === "skipped" && task.reason!.startsWith("budget:"))).toBe(true);
  });

  it("retries a 429 on the same model and falls back from a dead endpoint to the next, inside a run", { timeout: 40_000 }, async () => {
    const dead = await scripted({ version: 1, interactions: [] });
    const deadUrl = dead.url;
    await dead.close();
    servers.splice(servers.indexOf(dead), 1);
    const live = await scripted({
      version: 1,
      mode: "ordered",
      interactions: [
        { response: { status: 429, headers: { "retry-after": "0" }, body: { error: { message: "rate limited" } } } },
        { response: { text: JSON.stringify({ tasks: [{ agent: "refactor", files: ["pkg/calc.py"], benefit: 30 }] }), usage: { prompt_tokens: 100, completion_tokens: 50 } } },
        { response: { text: REFACTOR, usage: { prompt_tokens: 100, completion_tokens: 50 } } },
        { response: { text: JSON.stringify({ summary: "fine", comments: [], verdict: "approve", score: 9 }), usage: { prompt_tokens: 100, completion_tokens: 50 } } },
      ],
    });
    const root = makeRepo(FILES);
    // The dead one is cheaper, so the router tries it first.
    configureModels(root, [{ name: "dead", url: deadUrl, tier: "small" }, { name: "live", url: live.url, tier: "large" }]);
    const run = await improveJson(root, "--agents", "refactor", "--no-cache");
    expect(run.json.tasks.map((task) => [task.agent, task.state])).toEqual([["refactor", "committed"]]);
    expect(chatRequests(live)).toHaveLength(4); // the 429 and its retry, then two more calls
    const calls = auditRecords(root, run.json.id).filter((record) => record.type === "model-call");
    expect(calls.map((record) => record.data.model)).toEqual(["live", "live", "live"]);
  });
});
