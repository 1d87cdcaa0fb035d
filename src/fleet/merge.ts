import { existsSync } from "node:fs";
import { join } from "node:path";
import { describeNewFailures, newFailures, proveTree, runBaseline, type CheckEnvironment } from "./checks.js";
import { commitEnv, compareAndSwapRef, git, gitRun, isAncestor, resolveCommit } from "./git.js";
import type { Baseline, MergeOutcome } from "./types.js";
import { addWorktree, listWorktrees, removeWorktree } from "./worktrees.js";

export interface MergeContext {
  root: string;
  runId: string;
  runBranch: string;
  /** The branch the run started from; null when it started from a detached HEAD. */
  targetBranch: string | null;
  baseline: Baseline;
  environment: CheckEnvironment;
  /** Folder for the merge worktree. */
  worktreeDirectory: string;
  /** Called with each step, for the audit trail. */
  onStep?: (step: string, data: Record<string, unknown>) => void;
}

const ATTEMPTS = 3;

/**
 * "The git dance": merges the run branch into the branch the run started from, in a worktree of
 * its own; re-proves the merged tree; only then moves the user's branch, by compare-and-swap on
 * its old value. When that branch is checked out in a worktree of the user's, the branch moves
 * only if that worktree has no uncommitted changes to files the merge changes, and then through
 * `git merge --ff-only` there, which updates the files and keeps uncommitted edits to other files
 * (as `git merge` does); otherwise nothing of the user's is touched and the merge is reported
 * `blocked`. If the branch moved meanwhile, the dance starts over (up to 3 times). Conflicts keep
 * the run branch.
 */
export async function mergeRunBranch(context: MergeContext): Promise<MergeOutcome> {
  const { root, targetBranch } = context;
  if (!targetBranch) return { state: "blocked", branch: null, reason: `the run started from a detached HEAD; merge ${context.runBranch} yourself` };
  const targetRef = `refs/heads/${targetBranch}`;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const target = await resolveCommit(root, targetRef);
    if (!target) return { state: "blocked", branch: targetBranch, reason: `branch ${targetBranch} no longer exists; the changes stay on ${context.runBranch}` };
    const runTip = await resolveCommit(root, `refs/heads/${context.runBranch}`);
    if (!runTip) return { state: "blocked", branch: targetBranch, reason: `${context.runBranch} does not exist (a run that committed nothing leaves no branch): nothing to merge` };
    if (await isAncestor(root, runTip, target)) return { state: "up-to-date", branch: targetBranch };
    const worktree = await addWorktree(root, join(context.worktreeDirectory, `merge-${attempt}`), target);
    try {
      const fastForward = await isAncestor(root, target, runTip);
      const merge = fastForward
        ? await gitRun(worktree, ["merge", "--ff-only", "--quiet", runTip], { allow: [1, 128] })
        : await gitRun(worktree, ["merge", "--no-ff", "--no-edit", "--quiet", "-m", `Merge PyAgent run ${context.runId} into ${targetBranch}`, runTip], { allow: [1, 128], env: commitEnv() });
      if (merge.code !== 0) {
        const conflicted = (await git(worktree, ["diff", "--name-only", "--diff-filter=U"])).split("\n").filter(Boolean);
        await gitRun(worktree, ["merge", "--abort"], { allow: [128] });
        context.onStep?.("merge-conflict", { target, runTip, files: conflicted });
        return { state: "conflict", branch: targetBranch, files: conflicted };
      }
      const merged = await git(worktree, ["rev-parse", "HEAD"]);
      context.onStep?.("merge-made", { target, runTip, merged, fastForward });

      // Re-prove the merged tree. When the user's branch moved since the run began, its own tip is
      // the reference (a failure the user committed is not the run's to answer for).
      const reference = target === context.baseline.commit ? context.baseline : await proveReference(root, context, target, attempt);
      const changed = (await git(worktree, ["diff", "--name-only", "-z", target, merged, "--", "*.py"])).split("\0").filter((path) => path && existsSync(join(worktree, path)));
      const results = await proveTree(worktree, reference, changed, context.environment);
      if (context.environment.signal?.aborted) return { state: "blocked", branch: targetBranch, reason: "interrupted before the merged tree was proven" };
      const broken = newFailures(reference, results);
      context.onStep?.("merge-proved", { merged, checks: results.map((result) => `${result.check} ${result.summary}`), newFailures: broken });
      if (broken.length > 0) {
        return { state: "checks-failed", branch: targetBranch, reason: describeNewFailures(broken) };
      }

      const holder = (await listWorktrees(root)).find((entry) => entry.branch === targetBranch);
      if (!holder) {
        if (await compareAndSwapRef(root, targetRef, merged, target, `pyagent: merge run ${context.runId}`)) {
          return { state: "merged", branch: targetBranch, commit: merged, fastForward, workingTreeUpdated: false };
        }
        continue; // the branch moved while we proved: dance again
      }
      // As `git merge` does: uncommitted edits to files the merge does not change are kept; edits
      // to files it changes would be overwritten or conflict, so then nothing is touched.
      const overlap = await uncommittedOverlap(holder.path, target, merged);
      if (overlap.length > 0) {
        return {
          state: "blocked",
          branch: targetBranch,
          reason: `${targetBranch} is checked out in ${holder.path} with uncommitted changes to files the run changed (${overlap.slice(0, 10).join(", ")}${overlap.length > 10 ? ", ..." : ""}); nothing was touched: commit or stash them, then run 'pyagent merge ${context.runId}'`,
        };
      }
      const forward = await gitRun(holder.path, ["merge", "--ff-only", "--quiet", merged], { allow: [1, 128] });
      if (forward.code === 0) return { state: "merged", branch: targetBranch, commit: merged, fastForward, workingTreeUpdated: true };
      if ((await resolveCommit(root, targetRef)) !== target) continue;
      return { state: "blocked", branch: targetBranch, reason: `git refused to update ${holder.path}: ${(forward.stderr || forward.stdout).trim().split("\n")[0]}` };
    } finally {
      await removeWorktree(root, worktree);
    }
  }
  return { state: "blocked", branch: targetBranch, reason: `${targetBranch} kept moving during ${ATTEMPTS} merge attempts; the changes stay on ${context.runBranch}` };
}

/** Tracked files with uncommitted changes (staged or not) in `worktree` that the merge from `target` to `merged` also changes. */
async function uncommittedOverlap(worktree: string, target: string, merged: string): Promise<string[]> {
  const paths = (output: string) => output.split("\0").filter(Boolean);
  const dirty = new Set(paths(await git(worktree, ["diff", "--name-only", "--no-renames", "-z", "HEAD"])));
  if (dirty.size === 0) return [];
  const changed = paths(await git(worktree, ["diff", "--name-only", "--no-renames", "-z", target, merged]));
  return changed.filter((path) => dirty.has(path));
}

async function proveReference(root: string, context: MergeContext, target: string, attempt: number): Promise<Baseline> {
  const worktree = await addWorktree(root, join(context.worktreeDirectory, `merge-reference-${attempt}`), target);
  try {
    return await runBaseline(worktree, target, context.environment);
  } finally {
    await removeWorktree(root, worktree);
  }
}
