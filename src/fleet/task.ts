import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Parser } from "web-tree-sitter";
import { lineEndingsOf, normalizeNewlines } from "../python/index.js";
import { checksSummary, describeNewFailures, measureImportTime, newFailures, proveTree, type CheckEnvironment } from "./checks.js";
import { lazyImportDecision, moduleSplitCheck, snapshotTree } from "./import-checks.js";
import { commitInWorktree, commitMessage } from "./commits.js";
import { git, gitRun } from "./git.js";
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
  /** The commit the run started from; `baseCommit` is the run branch's tip, which may hold changes landed since. */
  runBaseCommit?: string;
}

function readRaw(tree: string, path: string): string | undefined {
  const file = join(tree, path);
  if (path.includes("..") || !existsSync(file)) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * What agents and the reviewer read: the file with lone `\r` line ends as `\n` (the parser's only
 * newline); `writeEdits` puts a CR-only file's line ends back.
 */
function reader(tree: string) {
  return (path: string): string | undefined => {
    const text = readRaw(tree, path);
    return text === undefined ? undefined : normalizeNewlines(text);
  };
}

/** Files an edit would rewrite that mix lone `\r` with `\n` line ends: which end each new line should get cannot be known, so they are left alone. */
function mixedLineEndings(tree: string, edits: FileEdit[]): string[] {
  return edits.filter((edit) => edit.content !== null && lineEndingsOf(readRaw(tree, edit.path) ?? "") === "mixed").map((edit) => edit.path);
}

function mixedLineEndingsReason(paths: string[]): string {
  return `${paths.join(", ")} mix${paths.length === 1 ? "es" : ""} CR and LF line endings; left unchanged, since the edited lines' endings could not be kept`;
}

function writeEdits(tree: string, edits: FileEdit[]): void {
  for (const edit of edits) {
    const file = join(tree, edit.path);
    if (edit.content === null) rmSync(file, { force: true });
    else {
      const crOnly = lineEndingsOf(readRaw(tree, edit.path) ?? "") === "cr";
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, crOnly ? edit.content.replace(/\r?\n/g, "\r") : edit.content);
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
  // Import checks import the package as the tests do (a src layout's `src` on PYTHONPATH).
  const environment: CheckEnvironment = { ...context.environment, pythonPath: context.baseline.tests?.command.pythonPath };
  const tree = await addWorktree(context.root, context.worktreePath, context.baseCommit);
  let before: ReturnType<typeof snapshotTree> | undefined;
  try {
    const read = reader(tree);
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
    if (edits.length === 0) return { state: "skipped", reason: await whyNothingChanged(task, context) };

    const unsafe = edits.filter((edit) => isUnsafePath(tree, edit.path));
    if (unsafe.length > 0) {
      const review: ReviewComment[] = unsafe.map((edit) => ({ rule: "scope", path: edit.path, message: `writes outside the repository's files: ${edit.path}` }));
      return { state: "rejected", reason: review.map((comment) => comment.message).join("; "), review, diff: "" };
    }
    const mixed = mixedLineEndings(tree, edits);
    if (mixed.length > 0) return { state: "skipped", reason: mixedLineEndingsReason(mixed) };
    const review = reviewChange(context.parser, task, edits, read, context.apiIndex, { modelWritten: Boolean(context.agent.work) });
    const imported = review.length > 0 ? [] : importedModules(task, edits, context.apiIndex);
    const importsBefore = new Map<string, Awaited<ReturnType<typeof measureImportTime>>>();
    const beforeStarted = performance.now();
    for (const module of imported) importsBefore.set(module, await measureImportTime(tree, module, environment, 2)); // best of 2: the first compiles
    const beforeMs = performance.now() - beforeStarted;
    // A task with an import-level requirement is measured against the tree as it was, side by side.
    if (task.requires && review.length === 0) before = snapshotTree(tree);
    writeEdits(tree, edits);
    await git(tree, ["add", "--all", "--", ...edits.map((edit) => edit.path)]);
    const diff = await git(tree, ["diff", "--cached", "--no-color", "--no-ext-diff"]);
    if (review.length > 0) return { state: "rejected", reason: review.map((comment) => comment.message).join("; "), review, diff };
    if (modelReview && !modelReview.approve) {
      return { state: "rejected", reason: `model review: ${modelReview.summary}`, review: [{ rule: "model", message: modelReview.summary }, ...modelReview.comments], diff };
    }

    // The requirement is cheaper than the tests and decides whether the change is worth proving at all.
    const required = before ? await requirementCheck(task, before.path, tree, environment) : undefined;
    if (required?.state === "skip") return { state: "skipped", reason: required.reason };
    const changedPython = edits.filter((edit) => edit.content !== null && edit.path.endsWith(".py")).map((edit) => edit.path);
    const checks = required?.check.status === "fail" ? [] : await proveTree(tree, context.baseline, changedPython, environment);
    if (environment.signal?.aborted) return { state: "interrupted" };
    if (imported.length > 0) {
      const check = await importsStillWork(tree, importsBefore, environment);
      checks.push({ ...check, milliseconds: check.milliseconds + beforeMs }); // the "before" half is part of this check
    }
    if (required) checks.push(required.check);
    const broken = newFailures(context.baseline, checks);
    if (broken.length > 0) {
      const reason = describeNewFailures(broken);
      const output = checks.filter((check) => broken.some((item) => item.check === check.check)).map((check) => `$ ${check.check}\n${check.output ?? check.summary}`).join("\n\n");
      return { state: "failed", reason, checks, diff, output };
    }
    const provenCommit = await commitInWorktree(tree, commitMessage(task, context.runId, checksSummary(checks)));
    return { state: "proven", provenCommit, baseCommit: context.baseCommit, checks, diff };
  } finally {
    before?.remove();
    await removeWorktree(context.root, tree);
  }
}

/**
 * Why an agent's edits change nothing, told truly: "an earlier change covered it" only when a
 * change that landed on the run branch touched the task's files and the agent, run on those files
 * as the run found them, would have changed something; otherwise the agent's fix does not handle
 * the findings (e.g. a dead `yield` that keeps a function a generator).
 */
async function whyNothingChanged(task: FleetTask, context: TaskContext): Promise<string> {
  const { runBaseCommit, baseCommit } = context;
  const landed =
    runBaseCommit && runBaseCommit !== baseCommit
      ? (await git(context.root, ["log", "--format=%h %s", `${runBaseCommit}..${baseCommit}`, "--", ...task.files])).split("\n").filter(Boolean)
      : [];
  if (landed.length > 0 && (context.agent.work || (await changesSomethingAt(task, context, runBaseCommit!)))) {
    return `nothing left to change: ${landed.length === 1 ? "an earlier change" : "earlier changes"} on the run branch already did it (${landed.slice(0, 3).join("; ")})`;
  }
  if (context.agent.work) return `the ${task.agent} agent's edits leave ${task.files.join(", ")} as they are: nothing to change`;
  const findings = task.findings.slice(0, 3).map((finding) => `line ${finding.line}: ${finding.message}`);
  const more = task.findings.length > 3 ? `, and ${task.findings.length - 3} more` : "";
  return `the ${task.agent} agent found nothing it can change in ${task.files.join(", ")}: its fix does not handle ${task.findings.length === 1 ? "this finding" : "these findings"}${findings.length > 0 ? ` (${findings.join("; ")}${more})` : ""}`;
}

/** Whether the agent's edits change the task's files as they were at `commit`. */
async function changesSomethingAt(task: FleetTask, context: TaskContext, commit: string): Promise<boolean> {
  const files = new Map<string, string>();
  for (const path of task.files) {
    const shown = await gitRun(context.root, ["show", `${commit}:${path}`], { allow: [128] });
    if (shown.code === 0) files.set(path, normalizeNewlines(shown.stdout));
  }
  try {
    const edits = await context.agent.apply(task, (path) => files.get(path));
    return edits.some((edit) => files.get(edit.path) !== (edit.content ?? undefined));
  } catch {
    return false; // an agent that throws there changed nothing there either
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
  const mixed = mixedLineEndings(tree, edits);
  if (mixed.length > 0) return { proven: false, reason: mixedLineEndingsReason(mixed), output: "", diff: "", checks: [] };
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
    const reason = describeNewFailures(broken, { alwaysPlural: true });
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

/**
 * The import-level proof a task requires, comparing the tree before the change (`beforeTree`) with
 * the changed one: a lazy import that saves too little is skipped (not worth a commit), a split
 * that loses a name, a `__module__` or a pickle, or slows the import, fails.
 */
async function requirementCheck(
  task: FleetTask,
  beforeTree: string,
  tree: string,
  environment: CheckEnvironment,
): Promise<{ state: "skip"; reason: string } | { state: "check"; check: CheckResult } | undefined> {
  if (task.requires?.kind === "import-time-lower") {
    const decision = await lazyImportDecision(beforeTree, tree, task.requires, environment);
    return decision.state === "skip" ? decision : { state: "check", check: decision.check };
  }
  if (task.requires?.kind === "module-split") return { state: "check", check: await moduleSplitCheck(beforeTree, tree, task.requires.module, environment) };
  return undefined;
}
