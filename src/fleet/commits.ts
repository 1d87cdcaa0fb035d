import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitEnv, compareAndSwapRef, git, gitRun, parseTrailers } from "./git.js";
import type { FleetTask } from "./types.js";

/** The commit message of an accepted task: conventional subject, what it fixes, and the trailers. */
export function commitMessage(task: FleetTask, runId: string, checks: string): string {
  const fixes = task.findings.slice(0, 20).map((finding) => `- ${finding.path}:${finding.line}: ${finding.message}`);
  const more = task.findings.length > 20 ? [`- ... and ${task.findings.length - 20} more`] : [];
  return [
    task.title,
    "",
    ...(fixes.length > 0 ? [...fixes, ...more, ""] : []),
    `PyAgent-Run: ${runId}`,
    `PyAgent-Agent: ${task.agent}`,
    `PyAgent-Task: ${task.id}`,
    `PyAgent-Checks: ${checks || "none"}`,
    "",
  ].join("\n");
}

/** Commits the staged change in a task's worktree (hooks are not run: the fleet's checks are the proof). */
export async function commitInWorktree(worktree: string, message: string): Promise<string> {
  await git(worktree, ["commit", "--quiet", "--no-verify", "--allow-empty", "-F", "-"], { input: message, env: commitEnv() });
  return git(worktree, ["rev-parse", "HEAD"]);
}

export type LandResult = { state: "landed"; commit: string } | { state: "conflict"; files: string[] } | { state: "moved" };

/**
 * Puts a proven commit onto the run branch. The caller serializes calls (one writer of the run
 * branch). When the branch has not moved since the task started, the branch simply advances to
 * the proven commit; otherwise the task's files are replaced wholesale in a new commit on the tip,
 * which is exact only while the tip's versions of those files equal the task's base versions
 * (else `conflict`: the caller re-proves the task from the new tip). The ref moves by
 * compare-and-swap, so a concurrent writer outside PyAgent yields `moved`, never a lost commit.
 */
export async function landOnBranch(root: string, branchRef: string, proven: string, base: string, files: string[]): Promise<LandResult> {
  const tip = await git(root, ["rev-parse", "--verify", branchRef]);
  if (tip === base) {
    return (await compareAndSwapRef(root, branchRef, proven, tip, "pyagent: land proven change")) ? { state: "landed", commit: proven } : { state: "moved" };
  }
  const differing = await gitRun(root, ["diff", "--name-only", "-z", base, tip, "--", ...files]);
  const changed = differing.stdout.split("\0").filter(Boolean);
  if (changed.length > 0) return { state: "conflict", files: changed };
  const scratch = mkdtempSync(join(tmpdir(), "pyagent-index-"));
  try {
    const env = { ...commitEnv(), GIT_INDEX_FILE: join(scratch, "index") };
    await git(root, ["read-tree", tip], { env });
    const entries = await git(root, ["ls-tree", "-r", "-z", proven, "--", ...files]);
    const present = new Set<string>();
    for (const entry of entries.split("\0").filter(Boolean)) {
      const match = /^(\d+) \w+ ([0-9a-f]+)\t(.*)$/s.exec(entry);
      if (!match) continue;
      present.add(match[3]!);
      await git(root, ["update-index", "--add", "--cacheinfo", `${match[1]},${match[2]},${match[3]}`], { env });
    }
    const removed = files.filter((file) => !present.has(file));
    if (removed.length > 0) await git(root, ["update-index", "--force-remove", "--", ...removed], { env });
    const tree = await git(root, ["write-tree"], { env });
    const message = await git(root, ["log", "-1", "--format=%B", proven]);
    const commit = await git(root, ["commit-tree", tree, "-p", tip, "-F", "-"], { env, input: `${message}\n` });
    return (await compareAndSwapRef(root, branchRef, commit, tip, "pyagent: land proven change")) ? { state: "landed", commit } : { state: "moved" };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Task id → commit, for every PyAgent commit of `runId` on `branchRef` after `base` (reconciles the journal after a crash). */
export async function commitsOfRun(root: string, runId: string, branchRef: string, base: string): Promise<Map<string, string>> {
  const log = await git(root, ["log", "--format=%H%x00%B%x1e", `${base}..${branchRef}`]);
  const found = new Map<string, string>();
  for (const entry of log.split("\x1e")) {
    const [hash, message] = entry.trim().split("\0");
    if (!hash || message === undefined) continue;
    const trailers = parseTrailers(message);
    const task = trailers.get("PyAgent-Task");
    if (task && trailers.get("PyAgent-Run") === runId && !found.has(task)) found.set(task, hash.trim());
  }
  return found;
}
