import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Parser } from "web-tree-sitter";
import { checksSummary, measureImportTime, newFailures, proveTree, type CheckEnvironment } from "./checks.js";
import { commitInWorktree, commitMessage } from "./commits.js";
import { git } from "./git.js";
import { reviewChange, type ApiIndex } from "./review.js";
import type { Baseline, CheckResult, FileEdit, FleetAgent, FleetTask, ModelReview, ReviewComment, TrialResult } from "./types.js";
import { addWorktree, removeWorktree } from "./worktrees.js";

/** What working on one task produced, before it lands on the run branch. */
export type TaskOutcome =
  | { state: "proven"; provenCommit: string; baseCommit: string; checks: CheckResult[]; diff: string }
  | { state: "failed"; reason: string; checks: CheckResult[]; diff: string; output: string }
  | { state: "rejected"; reason: string; review: ReviewComment[]; diff: string }
  | { state: "skipped"; reason: string }
  | { state: "interrupted" };

export interface TaskContext {
  root: string;
  runId: string;
  agent: FleetAgent;
  baseline: Baseline;
  environment: CheckEnvironment;
  parser: Parser;
  apiIndex: ApiIndex;
  worktreePath: string;
  baseCommit: string;
}

function reader(tree: string) {
  return (path: string): string | undefined => {
    const file = join(tree, path);
    if (path.includes("..") || !existsSync(file)) return undefined;
    try {
      return readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  };
}

function writeEdits(tree: string, edits: FileEdit[]): void {
  for (const edit of edits) {
    const file = join(tree, edit.path);
    if (edit.content === null) rmSync(file, { force: true });
    else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, edit.content);
    }
  }
}

/**
 * Works one task in its own worktree at `baseCommit`: the agent computes edits against the files
 * there, the reviewer reads them (cheap rules first: a change it rejects is not worth proving),
 * the edits are written and proven by the baseline's checks, and a proven change is committed in
 * the worktree with its trailers. The worktree is always removed.
 */
export async function workTask(task: FleetTask, context: TaskContext): Promise<TaskOutcome> {
  const { environment } = context;
  const tree = await addWorktree(context.root, context.worktreePath, context.baseCommit);
  try {
    const read = reader(tree);
    let importBefore: { microseconds: number } | { error: string } | undefined;
    const lazyStarted = performance.now();
    if (task.requires?.kind === "import-time-lower") importBefore = await measureImportTime(tree, task.requires.module, environment);
    const lazyBeforeMs = performance.now() - lazyStarted;
    let proposed: FileEdit[];
    let modelReview: ModelReview | undefined;
    try {
      if (context.agent.work) {
        // A try the risk rules stopped never ran; if no try was proven, the task is rejected for it, not failed.
        const risky: ReviewComment[] = [];
        const result = await context.agent.work(task, { read, prove: (edits) => trial(tree, task, edits, read, context, risky), signal: environment.signal });
        if (environment.signal?.aborted) return { state: "interrupted" };
        if (result.state === "skipped") return { state: "skipped", reason: result.reason };
        if (result.state === "failed" && risky.length > 0) return { state: "rejected", reason: risky.map((comment) => comment.message).join("; "), review: risky, diff: result.diff ?? "" };
        if (result.state === "failed") return { state: "failed", reason: result.reason, checks: result.checks ?? [], diff: result.diff ?? "", output: result.output };
        proposed = result.edits;
        modelReview = result.review;
      } else proposed = await context.agent.apply(task, read);
    } catch (error) {
      // A codemod that throws on this code is the agent's failure, not the run's.
      return { state: "failed", reason: `agent ${task.agent} failed: ${(error as Error).message}`, checks: [], diff: "", output: String((error as Error).stack ?? error) };
    }
    const edits = proposed.filter((edit) => read(edit.path) !== (edit.content ?? undefined));
    if (edits.length === 0) return { state: "skipped", reason: "nothing left to change (an earlier change already covered it)" };

    const unsafe = edits.filter((edit) => isUnsafePath(tree, edit.path));
    if (unsafe.length > 0) {
      const review: ReviewComment[] = unsafe.map((edit) => ({ rule: "scope", path: edit.path, message: `writes outside the repository's files: ${edit.path}` }));
      return { state: "rejected", reason: review.map((comment) => comment.message).join("; "), review, diff: "" };
    }
    const review = reviewChange(context.parser, task, edits, read, context.apiIndex, { modelWritten: Boolean(context.agent.work) });
    const imported = review.length > 0 ? [] : importedModules(task, edits, context.apiIndex);
    const importsBefore = new Map<string, Awaited<ReturnType<typeof measureImportTime>>>();
    const beforeStarted = performance.now();
    for (const module of imported) importsBefore.set(module, await measureImportTime(tree, module, environment, 2)); // best of 2: the first compiles
    const beforeMs = performance.now() - beforeStarted;
    writeEdits(tree, edits);
    await git(tree, ["add", "--all", "--", ...edits.map((edit) => edit.path)]);
    const diff = await git(tree, ["diff", "--cached", "--no-color", "--no-ext-diff"]);
    if (review.length > 0) return { state: "rejected", reason: review.map((comment) => comment.message).join("; "), review, diff };
    if (modelReview && !modelReview.approve) {
      return { state: "rejected", reason: `model review: ${modelReview.summary}`, review: [{ rule: "model", message: modelReview.summary }, ...modelReview.comments], diff };
    }

    const changedPython = edits.filter((edit) => edit.content !== null && edit.path.endsWith(".py")).map((edit) => edit.path);
    const checks = await proveTree(tree, context.baseline, changedPython, environment);
    if (environment.signal?.aborted) return { state: "interrupted" };
    if (imported.length > 0) {
      const check = await importsStillWork(tree, importsBefore, environment);
      checks.push({ ...check, milliseconds: check.milliseconds + beforeMs }); // the "before" half is part of this check
    }
    if (task.requires?.kind === "import-time-lower") {
      const check = await importTimeCheck(tree, task.requires.module, importBefore, environment);
      checks.push({ ...check, milliseconds: check.milliseconds + lazyBeforeMs });
    }
    const broken = newFailures(context.baseline, checks);
    if (broken.length > 0) {
      const reason = broken.map((item) => `${item.check}: new failure${item.failures.length === 1 ? "" : "s"} ${item.failures.slice(0, 5).join(", ")}${item.failures.length > 5 ? ", ..." : ""}`).join("; ");
      const output = checks.filter((check) => broken.some((item) => item.check === check.check)).map((check) => `$ ${check.check}\n${check.output ?? check.summary}`).join("\n\n");
      return { state: "failed", reason, checks, diff, output };
    }
    const provenCommit = await commitInWorktree(tree, commitMessage(task, context.runId, checksSummary(checks)));
    return { state: "proven", provenCommit, baseCommit: context.baseCommit, checks, diff };
  } finally {
    await removeWorktree(context.root, tree);
  }
}

/** Absolute, `..`, `.git/`, or through a symlink of the tree: an edit there could land outside the worktree. */
function isUnsafePath(tree: string, path: string): boolean {
  if (path.startsWith("/") || path.split("/").includes("..") || path === ".git" || path.startsWith(".git/")) return true;
  const parts = path.split("/");
  for (let depth = 1; depth <= parts.length; depth++) {
    try {
      if (lstatSync(join(tree, ...parts.slice(0, depth))).isSymbolicLink()) return true;
    } catch {
      return false; // the rest does not exist yet: nothing below can be a link
    }
  }
  return false;
}

/**
 * One try of candidate edits for an agent that iterates (`FleetAgent.work`): the rule review,
 * then the baseline's checks, in the task's worktree; the tree is reset to `baseCommit` after,
 * whatever happened, so every try starts from the same files.
 */
async function trial(tree: string, task: FleetTask, edits: FileEdit[], read: (path: string) => string | undefined, context: TaskContext, risky: ReviewComment[]): Promise<TrialResult> {
  const unsafe = edits.filter((edit) => isUnsafePath(tree, edit.path));
  if (unsafe.length > 0) return { proven: false, reason: `writes outside the repository's files: ${unsafe.map((edit) => edit.path).join(", ")}`, output: "", diff: "", checks: [] };
  const review = reviewChange(context.parser, task, edits, read, context.apiIndex, { modelWritten: Boolean(context.agent.work) });
  risky.push(...review.filter((comment) => comment.rule === "risk"));
  if (review.length > 0) return { proven: false, reason: review.map((comment) => comment.message).join("; "), output: review.map((comment) => `${comment.path ?? ""}: ${comment.message}`).join("\n"), diff: "", checks: [] };
  try {
    writeEdits(tree, edits);
    await git(tree, ["add", "--all", "--", ...edits.map((edit) => edit.path)]);
    const diff = await git(tree, ["diff", "--cached", "--no-color", "--no-ext-diff"]);
    const changedPython = edits.filter((edit) => edit.content !== null && edit.path.endsWith(".py")).map((edit) => edit.path);
    const checks = await proveTree(tree, context.baseline, changedPython, context.environment);
    const broken = newFailures(context.baseline, checks);
    const reason = broken.map((item) => `${item.check}: new failures ${item.failures.slice(0, 5).join(", ")}`).join("; ");
    const output = checks.filter((check) => broken.some((item) => item.check === check.check)).map((check) => `$ ${check.check}\n${check.output ?? check.summary}`).join("\n\n");
    return { proven: broken.length === 0, reason, output, diff, checks };
  } finally {
    await git(tree, ["reset", "-q", "--hard", context.baseCommit]);
    await git(tree, ["clean", "-fdq"]);
  }
}

const TEST_FILE = /(^|\/)(test_[^/]*|[^/]*_test|conftest|__main__|setup)\.py$/;

/**
 * Library modules the change touches (inside a package, not tests or scripts, whose import runs
 * code by design), at most 5: each must still import after the change if it did before.
 */
function importedModules(task: FleetTask, edits: FileEdit[], index: ApiIndex): string[] {
  const modules = new Set<string>();
  for (const edit of edits) {
    const module = index.moduleOfPath.get(edit.path);
    if (!module || !module.includes(".") || TEST_FILE.test(edit.path) || module === task.requires?.module) continue;
    modules.add(module);
  }
  return [...modules].slice(0, 5);
}

/** `import module` for each touched module: a module that imported before the change must import after it. */
async function importsStillWork(tree: string, before: Map<string, Awaited<ReturnType<typeof measureImportTime>>>, environment: CheckEnvironment): Promise<CheckResult> {
  const started = performance.now();
  const failures: string[] = [];
  const parts: string[] = [];
  const output: string[] = [];
  for (const [module, previous] of before) {
    const after = await measureImportTime(tree, module, environment, 2);
    if ("error" in after) {
      if (!("error" in previous)) {
        failures.push(`import ${module}`);
        output.push(`import ${module}: ${after.error}`);
      }
      parts.push(`${module} fails`);
    } else {
      parts.push(`${module} ${"error" in previous ? "?" : (previous.microseconds / 1000).toFixed(1)} -> ${(after.microseconds / 1000).toFixed(1)} ms`);
    }
  }
  return { check: "import", status: failures.length === 0 ? "pass" : "fail", failures, summary: parts.join(", "), milliseconds: performance.now() - started, output: output.length > 0 ? output.join("\n") : undefined };
}

/** The proof a lazy-imports change needs: the module still imports, and faster than before. */
async function importTimeCheck(tree: string, module: string, before: { microseconds: number } | { error: string } | undefined, environment: CheckEnvironment): Promise<CheckResult> {
  const started = performance.now();
  const after = await measureImportTime(tree, module, environment);
  const milliseconds = performance.now() - started;
  if ("error" in after) return { check: "import", status: "fail", failures: [`import ${module}: ${after.error}`], summary: `import ${module} fails`, milliseconds, output: after.error };
  if (!before || "error" in before) return { check: "import", status: "pass", failures: [], summary: `${module} ${(after.microseconds / 1000).toFixed(1)} ms`, milliseconds };
  // Import times are noisy (a loaded machine varies best-of-5 by a few percent): a change counts as
  // lowering only when it beats that noise.
  const lower = after.microseconds <= before.microseconds - Math.max(100, before.microseconds * 0.02);
  const summary = `${module} ${(before.microseconds / 1000).toFixed(1)} -> ${(after.microseconds / 1000).toFixed(1)} ms`;
  return lower
    ? { check: "import", status: "pass", failures: [], summary, milliseconds }
    : { check: "import", status: "fail", failures: [`import time of ${module} not lower`], summary, milliseconds, output: `import time of ${module}: ${summary} (best of 5); the change must lower it by more than noise (2%, at least 0.1 ms)` };
}
