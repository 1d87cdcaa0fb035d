import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { git, gitRun } from "./git.js";
import { Mutex } from "./scheduler.js";

/** `PATH/.pyagent`: the store folder, which git ignores (the store writes `.pyagent/.gitignore` = `*`). */
export function stateDirectory(root: string): string {
  return join(root, ".pyagent");
}

/** Every worktree of a run lives under `PATH/.pyagent/worktrees/<run-id>/`. */
export function runWorktreeDirectory(root: string, runId: string): string {
  return join(stateDirectory(root), "worktrees", runId);
}

/** Python's bytecode cache for every check (`PYTHONPYCACHEPREFIX`): it mirrors absolute source paths. */
export function pycacheDirectory(root: string): string {
  return join(stateDirectory(root), "pycache");
}

/**
 * Worktree adds and removes run one at a time: removing the last worktree makes git delete the
 * empty `.git/worktrees` folder, which races with a concurrent add creating its entry there
 * ("could not create directory"), so parallel tasks must not interleave these.
 */
const worktreeAdmin = new Mutex();

/** Adds a detached worktree at `commit`; a leftover at the same path (from a killed run) is removed first. */
export async function addWorktree(root: string, path: string, commit: string): Promise<string> {
  if (existsSync(path)) await removeWorktree(root, path);
  mkdirSync(join(path, ".."), { recursive: true });
  await worktreeAdmin.run(() => git(root, ["worktree", "add", "--quiet", "--detach", path, commit]));
  return path;
}

/** Removes a worktree and its admin entry; tolerates one that is half gone. */
export async function removeWorktree(root: string, path: string): Promise<void> {
  await worktreeAdmin.run(async () => {
    const removed = await gitRun(root, ["worktree", "remove", "--force", "--force", path], { allow: [128] });
    if (removed.code === 0) return;
    rmSync(path, { recursive: true, force: true });
    await gitRun(root, ["worktree", "prune"]);
  });
}

/** Removes every worktree of a run (at the end, and on resume where a killed run left them). */
export async function removeRunWorktrees(root: string, runId: string): Promise<void> {
  await worktreeAdmin.run(() => removeAll(root, runId));
}

async function removeAll(root: string, runId: string): Promise<void> {
  const directory = runWorktreeDirectory(root, runId);
  const listed = await git(root, ["worktree", "list", "--porcelain"]);
  for (const line of listed.split("\n")) {
    if (line.startsWith("worktree ") && line.slice(9).startsWith(directory)) await gitRun(root, ["worktree", "remove", "--force", "--force", line.slice(9)], { allow: [128] });
  }
  rmSync(directory, { recursive: true, force: true });
  // Bytecode of the run's worktrees is never read again (the standard library's entries are kept).
  rmSync(join(pycacheDirectory(root), directory), { recursive: true, force: true });
  await gitRun(root, ["worktree", "prune"]);
}

/** Worktrees (path → branch or null when detached) as git lists them, the user's main worktree first. */
export async function listWorktrees(root: string): Promise<Array<{ path: string; branch: string | null }>> {
  const listed = await git(root, ["worktree", "list", "--porcelain"]);
  const result: Array<{ path: string; branch: string | null }> = [];
  for (const block of listed.split("\n\n")) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    if (!path) continue;
    const branch = /^branch refs\/heads\/(.+)$/m.exec(block)?.[1] ?? null;
    result.push({ path, branch });
  }
  return result;
}
