import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, REPO_ROOT } from "../helpers/cli.js";
import { git, makeRepo, PYTHON, removeTempDirs } from "./repo.js";

const BUILT = existsSync(join(REPO_ROOT, "dist/interface/cli/commands/improve.js"));
const HAS_BWRAP = spawnSync("bwrap", ["--ro-bind", "/", "/", "true"]).status === 0;

/** Pids of processes (other than zombies) whose working directory is inside `folder`: the checks of a run there. */
function processesIn(folder: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readlinkSync(`/proc/${entry}/cwd`).startsWith(folder)) continue;
      if (/\) Z /.test(readFileSync(`/proc/${entry}/stat`, "utf8"))) continue;
      found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

/** A module with an unused import (one task) whose test sleeps in a task's worktree while the marker file exists. */
function sleepyRepo(): { root: string; marker: string } {
  const root = makeRepo({
    "pkg/__init__.py": "",
    "pkg/core.py": "import os\n\n\ndef total(items):\n    return sum(items)\n",
    "tests/test_core.py": "import os\nimport time\n\nfrom pkg.core import total\n\nMARKER = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..', 'sleep-marker')\n\n\ndef test_total():\n    if 'task-' in os.getcwd() and os.path.exists(MARKER):\n        open('sleeping', 'w').close()\n        time.sleep(120)\n    assert total([1, 2]) == 3\n",
  });
  // Untracked, at the top of the main checkout: `.pyagent/worktrees/<run>/<task>/tests/../../../../../sleep-marker`.
  const marker = join(root, "sleep-marker");
  writeFileSync(marker, "");
  return { root, marker };
}

/** Starts `pyagent improve` and SIGKILLs it once the test of a task's proof sleeps (it says so with a file in its worktree); returns the run id. */
async function killDuringProof(root: string, sandbox: string): Promise<{ runId: string; survivors: number[] }> {
  const child = spawn(process.execPath, [BIN, "improve", root, "--python", PYTHON, "-j", "1", "--agents", "unused-imports", "--sandbox", sandbox], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise((resolve) => child.on("close", resolve));
  const worktrees = join(root, ".pyagent", "worktrees");
  const sleeping = () => {
    const runs = existsSync(worktrees) ? readdirSync(worktrees) : [];
    return runs.some((run) => readdirSync(join(worktrees, run)).some((task) => task.startsWith("task-") && existsSync(join(worktrees, run, task, "sleeping"))));
  };
  const proving = await waitFor(() => (sleeping() ? true : undefined), 60_000);
  expect(proving, stderr).toBe(true);
  child.kill("SIGKILL");
  await closed;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const runId = /starting run (\S+)/.exec(stderr)?.[1] ?? "";
  return { runId, survivors: processesIn(worktrees) };
}

afterAll(removeTempDirs);

describe.skipIf(!BUILT)("kill -9 during a proof, then --resume", () => {
  it("ends the dead run's pytest (recorded process group) before removing its worktree, and the run completes", { timeout: 120_000 }, async () => {
    const { root, marker } = sleepyRepo();
    const { runId, survivors } = await killDuringProof(root, "off");
    expect(runId).not.toBe("");
    // Unsandboxed, the check outlives PyAgent: this is what resume must clean up.
    expect(survivors.length).toBeGreaterThan(0);
    const groups = join(root, ".pyagent", "runs", `${runId}.pgids`);
    expect(readFileSync(groups, "utf8")).toMatch(/^\d+ \d+\n/);
    rmSync(marker);
    const resumed = spawnSync(process.execPath, [BIN, "improve", root, "--resume", runId, "--python", PYTHON, "-j", "1", "--sandbox", "off", "--no-progress"], { encoding: "utf8", timeout: 90_000 });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("1 committed");
    for (const pid of survivors) expect(existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8")), `pid ${pid}`).toBe(false);
    expect(processesIn(join(root, ".pyagent"))).toEqual([]);
    expect(existsSync(groups)).toBe(false);
    expect(git(root, "log", "--format=%s", `pyagent/${runId}`, "-1")).toContain("unused import");
  });

  it.skipIf(!HAS_BWRAP)("leaves nothing running at all when the proof was sandboxed (the sandbox dies with PyAgent)", { timeout: 120_000 }, async () => {
    const { root, marker } = sleepyRepo();
    const { runId } = await killDuringProof(root, "bwrap");
    expect(runId).not.toBe("");
    // The kernel ends the sandbox's pid namespace once its init loses its parent: give it a moment.
    const worktrees = join(root, ".pyagent", "worktrees");
    expect(await waitFor(() => (processesIn(worktrees).length === 0 ? true : undefined), 5_000), `left: ${processesIn(worktrees).map((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ")).join("; ")}`).toBe(true);
    rmSync(marker);
    const resumed = spawnSync(process.execPath, [BIN, "improve", root, "--resume", runId, "--python", PYTHON, "-j", "1", "--no-progress"], { encoding: "utf8", timeout: 90_000 });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("1 committed");
  });
});
