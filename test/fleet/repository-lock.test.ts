import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processStartTime } from "../../src/fleet/index.js";
import { BIN, runCli } from "../helpers/cli.js";
import { FIXTURE, git, makeRepo, PYTHON, removeTempDirs } from "./repo.js";

afterAll(removeTempDirs);

const IMPROVE = ["--python", PYTHON, "--jobs", "1", "--agents", "unused-imports,dead-code"];

interface Child {
  code: Promise<number>;
  stdout: () => string;
  stderr: () => string;
  started: Promise<void>;
}

/** `bin/pyagent.js args` as a user starts it; `started` resolves once the run announced itself on stderr. */
function startBin(args: string[]): Child {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let onStart = () => {};
  const started = new Promise<void>((resolve) => (onStart = resolve));
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    if (/starting run|waiting for it/.test(stderr)) onStart();
  });
  const code = new Promise<number>((resolve) => child.on("close", (status) => (onStart(), resolve(status ?? -1))));
  return { code, stdout: () => stdout, stderr: () => stderr, started };
}

function lockPath(root: string): string {
  return join(root, ".pyagent/repo.lock");
}

function bootId(): string | null {
  return existsSync("/proc/sys/kernel/random/boot_id") ? readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() : null;
}

/** A lock file as another PyAgent process would have written it. */
function writeLock(root: string, holder: { pid: number; host?: string; startTime: string | null }): void {
  mkdirSync(join(root, ".pyagent"), { recursive: true });
  writeFileSync(
    lockPath(root),
    `${JSON.stringify({ pid: holder.pid, host: holder.host ?? hostname(), startTime: holder.startTime, bootId: bootId(), command: "pyagent improve", since: "2026-01-01T00:00:00.000Z" })}\n`,
  );
}

/** Subjects of main's history, oldest first. */
function subjects(root: string): string[] {
  return git(root, "log", "--reverse", "--format=%s", "main").split("\n");
}

describe("one PyAgent run per repository", () => {
  it("refuses a second improve --merge on the same repository while the first holds the lock; main gets each change once", async () => {
    const root = makeRepo(FIXTURE);
    const first = startBin(["improve", root, "--merge", ...IMPROVE]);
    await first.started;
    const second = startBin(["improve", root, "--merge", ...IMPROVE]);
    const [firstCode, secondCode] = await Promise.all([first.code, second.code]);

    expect(firstCode, first.stderr()).toBe(0);
    expect(secondCode, second.stderr()).toBe(75);
    expect(second.stderr()).toContain(`another PyAgent process works on this repository: process `);
    expect(second.stderr()).toContain(lockPath(root));
    expect(second.stderr()).toMatch(/wait for it to finish \(or pass --wait\)/);
    expect(second.stderr()).not.toMatch(/\n\s+at /); // one line, no stack
    const history = subjects(root);
    expect(history.slice(1).sort()).toEqual(["pkg.core: remove 1 unreachable block (after return)", "pkg.core: remove 2 unused imports (os, sys)", "pkg.util: remove 2 unused imports (re, json)"]);
    const firstRun = /starting run (\S+)/.exec(first.stderr())?.[1];
    expect(git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads/pyagent")).toBe(`pyagent/${firstRun}`); // the refused run left no branch
    expect(existsSync(lockPath(root))).toBe(false); // released at the end
  }, 180_000);

  it("with --wait, the second run waits for the first, then starts from the merged main and finds nothing left to change", async () => {
    const root = makeRepo(FIXTURE);
    const first = startBin(["improve", root, "--merge", ...IMPROVE]);
    await first.started;
    const second = startBin(["improve", root, "--merge", "--wait", "120", ...IMPROVE]);
    const [firstCode, secondCode] = await Promise.all([first.code, second.code]);

    expect(firstCode, first.stderr()).toBe(0);
    expect(secondCode, second.stderr()).toBe(0);
    expect(second.stderr()).toMatch(/holds .*repo\.lock; waiting for it/);
    expect(second.stdout()).toMatch(/: 0 committed/);
    const history = subjects(root);
    expect(history).toHaveLength(4); // initial + three fixes, each once
    expect(new Set(history).size).toBe(4);
  }, 180_000);

  it("takes over a lock left by a process that is gone (kill -9), runs, and releases it", async () => {
    const root = makeRepo(FIXTURE);
    const gone = spawnSync("true");
    expect(gone.pid).toBeGreaterThan(0);
    writeLock(root, { pid: gone.pid!, startTime: "1" });
    const result = await runCli("improve", root, ...IMPROVE);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/3 committed/);
    expect(existsSync(lockPath(root))).toBe(false);
  }, 120_000);

  it("takes over a lock whose pid now belongs to another process (same pid, different start time)", async () => {
    const root = makeRepo(FIXTURE);
    const startTime = processStartTime(process.pid);
    expect(startTime, "this test needs /proc").not.toBeNull();
    writeLock(root, { pid: process.pid, startTime: String(Number(startTime) + 12345) }); // this pid is alive, but started later than the holder did
    const result = await runCli("merge", "no-such-run", root);
    expect(result.stderr).toMatch(/no run no-such-run/); // got past the lock
    expect(result.code).toBe(2);
    expect(existsSync(lockPath(root))).toBe(false);
  });

  it("refuses while the holder still runs (same pid and start time): exit 75 and the lock's path, holder and command in the message", async () => {
    const root = makeRepo(FIXTURE);
    writeLock(root, { pid: process.pid, startTime: processStartTime(process.pid) });
    const result = await runCli("merge", "some-run", root);
    expect(result.code).toBe(75);
    expect(result.stderr).toBe(`pyagent: another PyAgent process works on this repository: process ${process.pid} on ${hostname()} (pyagent improve, since 2026-01-01T00:00:00.000Z) holds ${lockPath(root)}; wait for it to finish (or pass --wait), or stop it first\n`);
    expect(existsSync(lockPath(root))).toBe(true); // someone else's lock is left alone

    const waited = await runCli("merge", "some-run", root, "--wait", "1");
    expect(waited.code).toBe(75);
    expect(waited.stderr).toMatch(/still held after waiting 1 s/);
  });

  it("does not guess about a lock held on another host: refuses and says to delete the lock if that process is gone", async () => {
    const root = makeRepo(FIXTURE);
    writeLock(root, { pid: 4242, host: "build-server-7", startTime: "99" });
    const result = await runCli("merge", "some-run", root);
    expect(result.code).toBe(75);
    expect(result.stderr).toContain("process 4242 on build-server-7");
    expect(result.stderr).toContain(`another machine: PyAgent cannot tell whether it still runs; if it does not, delete ${lockPath(root)}`);
  });
});
