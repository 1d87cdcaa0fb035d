import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, REPO_ROOT, runCli } from "../helpers/cli.js";
import { git, makeRepo, PYTHON, removeTempDirs, userView } from "./repo.js";

/** Four modules, each with an unused import and unreachable code: eight tasks. */
function fixture(): Record<string, string> {
  const files: Record<string, string> = { "lib/__init__.py": "" };
  const tests: string[] = [];
  for (let index = 0; index < 4; index++) {
    files[`lib/m${index}.py`] = ["import os", "", "", `def f${index}(x):`, `    return x + ${index}`, "    x = 0", ""].join("\n");
    tests.push(`from lib.m${index} import f${index}`, "", "", `def test_f${index}():`, `    assert f${index}(1) == ${index + 1}`, "", "");
  }
  files["tests/test_lib.py"] = tests.join("\n");
  return files;
}

const ARGS = ["--python", PYTHON, "--jobs", "1", "--agents", "unused-imports,dead-code"];

/** Starts the built CLI and SIGKILLs it when a stderr line matches `killAt`; resolves with the run id. */
function startAndKill(args: string[], killAt: RegExp): Promise<{ runId: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let buffer = "";
    let runId = "";
    let killed = false;
    child.stderr.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      runId ||= /(?:starting|resuming) run (\S+)/.exec(buffer)?.[1] ?? "";
      if (!killed && killAt.test(buffer)) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("close", () => resolve({ runId, killed }));
  });
}

function finalState(root: string, runId: string) {
  const branch = `pyagent/${runId}`;
  const base = git(root, "rev-parse", "main");
  const commits = git(root, "log", "--reverse", "--format=%s|%(trailers:key=PyAgent-Agent,valueonly,separator=)|%(trailers:key=PyAgent-Task,valueonly,separator=)", `${base}..${branch}`).split("\n");
  return { tree: git(root, "rev-parse", `${branch}^{tree}`), commits };
}

afterAll(removeTempDirs);

describe("kill -9 during a run, then --resume", () => {
  it.skipIf(!existsSync(join(REPO_ROOT, "dist/interface/cli/commands/improve.js")))("finishes with the same commits and tree as an uninterrupted run, without redoing proven work", async () => {
    const files = fixture();
    const reference = makeRepo(files);
    const uninterrupted = await runCli("improve", reference, "--format", "json", ...ARGS);
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    const referenceRun = JSON.parse(uninterrupted.stdout).id as string;
    const expected = finalState(reference, referenceRun);
    expect(expected.commits).toHaveLength(8);

    const root = makeRepo(files);
    // Kill during the baseline, then right after a change is proven (before or while it lands),
    // then in the middle of a task's checks; each time the next process resumes.
    const first = await startAndKill(["improve", root, ...ARGS], /starting run .*\n/);
    expect(first.killed).toBe(true);
    const second = await startAndKill(["improve", root, ...ARGS, "--resume", first.runId], /proven .*\n/);
    expect(second.runId).toBe(first.runId);
    const third = await startAndKill(["improve", root, ...ARGS, "--resume", first.runId], /committed.*\n(?:.*\n)*running .*\n/);
    expect(third.killed).toBe(true);
    const resumed = await runCli("improve", root, "--format", "json", ...ARGS, "--resume", first.runId);
    expect(resumed.code, resumed.stderr).toBe(0);

    const actual = finalState(root, first.runId);
    expect(actual.tree).toBe(expected.tree);
    expect(actual.commits).toEqual(expected.commits); // no commit lost, none duplicated, same order
    const report = JSON.parse(resumed.stdout);
    expect(report.tasks.map((task: { state: string }) => task.state)).toEqual(Array(8).fill("committed"));
    // Proven work is never redone: each task was proven exactly once across the four processes.
    const db = new Database(join(root, ".pyagent/pyagent.db"), { readonly: true });
    const proven = db.prepare("SELECT task_id, COUNT(*) AS n FROM fleet_task_events WHERE run_id = ? AND to_state = 'proven' GROUP BY task_id").all(first.runId) as Array<{ n: number }>;
    db.close();
    expect(proven.map((row) => row.n)).toEqual(Array(8).fill(1));
    expect((await runCli("audit", "verify", first.runId, root)).code).toBe(0);
    expect(userView(root)).toEqual({ status: "", worktrees: 1, branches: ["main", `pyagent/${first.runId}`] });
  });
});
