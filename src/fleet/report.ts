import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { redactText } from "../observability/index.js";
import { OVER_MAX_FILE_BYTES } from "../python/index.js";
import type { RunRecord, TaskEvent, TaskRecord } from "./journal.js";
import { describeTestCommand } from "./test-command.js";
import type { CheckResult, MergeOutcome, TaskState } from "./types.js";

/** `PATH/.pyagent/runs/<run-id>.md` */
export function reportPath(stateDirectory: string, runId: string): string {
  return join(stateDirectory, "runs", `${runId}.md`);
}

function checksLine(checks: CheckResult[] | null | undefined): string {
  if (!checks || checks.length === 0) return "none";
  const line = checks.map((check) => `${check.check}: ${check.status === "pass" ? check.summary : `${check.status} (${check.summary})`}`).join("; ");
  const flaky = checks.flatMap((check) => check.flaky ?? []);
  return flaky.length > 0 ? `${line}; failed once, passed on re-run (flaky, not blamed): ${flaky.slice(0, 10).map((id) => `\`${id}\``).join(", ")}` : line;
}

export function describeMerge(outcome: MergeOutcome): string {
  switch (outcome.state) {
    case "merged":
      return `merged into ${outcome.branch} at ${outcome.commit.slice(0, 12)} (${outcome.fastForward ? "fast-forward" : "merge commit"}${outcome.workingTreeUpdated ? ", working tree updated" : ""})`;
    case "up-to-date":
      return `${outcome.branch} already contains every change`;
    case "conflict":
      return `conflict merging into ${outcome.branch} (${outcome.files.join(", ")}); the changes stay on the run branch`;
    case "checks-failed":
      return `not merged into ${outcome.branch}: the merged tree fails checks (${outcome.reason}); the changes stay on the run branch`;
    case "blocked":
      return `not merged: ${outcome.reason}`;
  }
}

/**
 * Files the plan could not analyze, said out loud (no task can touch them): "skipped 2 files over
 * max-file-bytes: gen.py, big.py" and "1 file not analyzed: bad.py (syntax error at line 3, column 9)".
 */
export function notAnalyzedLines(notAnalyzed: Array<{ path: string; message: string }>): string[] {
  const files = (count: number) => `${count} file${count === 1 ? "" : "s"}`;
  const large = notAnalyzed.filter((error) => error.message.includes(OVER_MAX_FILE_BYTES));
  const other = notAnalyzed.filter((error) => !error.message.includes(OVER_MAX_FILE_BYTES));
  const lines: string[] = [];
  const list = (paths: string[]) => `${paths.slice(0, 20).join(", ")}${paths.length > 20 ? `, and ${paths.length - 20} more` : ""}`;
  if (large.length > 0) lines.push(`skipped ${files(large.length)} over max-file-bytes: ${list(large.map((error) => error.path))}`);
  if (other.length > 0) lines.push(`${files(other.length)} not analyzed, so not improved: ${list(other.map((error) => `${error.path} (${error.message})`))}`);
  return lines;
}

/** The run as JSON (`--format json`, `pyagent show --format json`). */
export function runJson(run: RunRecord, tasks: TaskRecord[]) {
  return {
    id: run.id,
    root: run.root,
    baseCommit: run.baseCommit,
    baseBranch: run.baseBranch,
    runBranch: run.runBranch,
    phase: run.phase,
    options: run.options,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    baseline: run.baseline
      ? {
          checks: run.baseline.checks.map(({ output: _output, ...check }) => check),
          unavailable: run.baseline.unavailable,
          tests: run.baseline.tests ? { command: run.baseline.tests.command, succeeded: run.baseline.tests.succeeded.length, flaky: run.baseline.tests.flaky, collected: run.baseline.tests.collected } : (run.baseline.tests ?? null),
          unproven: run.baseline.unproven ?? null,
        }
      : null,
    finalChecks: run.finalChecks?.map(({ output: _output, ...check }) => check) ?? null,
    merges: run.merges,
    notAnalyzed: run.notAnalyzed,
    tasks: tasks.map((record) => ({
      id: record.task.id,
      agent: record.task.agent,
      title: record.task.title,
      files: record.task.files,
      benefit: record.task.benefit,
      state: record.state,
      commit: record.commit,
      reason: record.reason,
      review: record.review,
      checks: record.checks?.map(({ output: _output, ...check }) => check) ?? null,
      milliseconds: record.workMs,
    })),
  };
}

const STATE_ORDER: TaskState[] = ["committed", "proven", "failed", "rejected", "skipped", "running", "planned"];

/** The final table: one row per task, committed first. */
export function finalTable(tasks: TaskRecord[]): string {
  const rows = [...tasks].sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.position - b.position);
  const width = Math.max(5, ...rows.map((row) => row.state.length));
  const lines = rows.map((row) => `${row.state.padEnd(width)}  ${(row.commit ?? "").slice(0, 10).padEnd(10)}  ${row.task.title}${row.reason && row.state !== "committed" ? `  (${row.reason.slice(0, 160)})` : ""}`);
  return [`${"state".padEnd(width)}  ${"commit".padEnd(10)}  change`, ...lines].join("\n") + "\n";
}

/** The Markdown run report: what changed, what was rejected and why (with the failing output), checks before and after. */
export function runMarkdown(run: RunRecord, tasks: TaskRecord[], events: TaskEvent[]): string {
  const counts = new Map<TaskState, number>();
  for (const task of tasks) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
  const out: string[] = [];
  out.push(`# PyAgent run ${run.id}`, "");
  out.push(`- repository: \`${run.root}\``);
  out.push(`- started from: ${run.baseBranch ? `\`${run.baseBranch}\` at ` : "detached HEAD "}\`${run.baseCommit.slice(0, 12)}\``);
  out.push(`- run branch: \`${run.runBranch}\``);
  out.push(`- phase: ${run.phase}; agents: ${run.options.agents.join(", ")}; jobs: ${run.options.jobs}`);
  out.push(`- tasks: ${[...counts].map(([state, count]) => `${count} ${state}`).join(", ") || "none"}`);
  for (const line of notAnalyzedLines(run.notAnalyzed)) out.push(`- ${line}`);
  for (const merge of run.merges) out.push(`- merge: ${describeMerge(merge)}`);
  out.push("", "## Checks", "");
  const tests = run.baseline?.tests;
  if (tests) {
    out.push(`Tests: \`${describeTestCommand(tests.command)}\`; ${tests.succeeded.length} of ${tests.collected} passed at baseline, each must still pass after a change.`, "");
    if (tests.flaky.length > 0) out.push(`Flaky at baseline (outcome changed between two runs; not blamed on changes): ${tests.flaky.slice(0, 20).map((id) => `\`${id}\``).join(", ")}${tests.flaky.length > 20 ? `, ... (${tests.flaky.length} in all)` : ""}`, "");
  }
  if (run.baseline?.unproven) out.push(`Unproven: the tests could not run at baseline (${run.baseline.unproven}); the run went on with --allow-unproven.`, "");
  out.push("| check | before (baseline) | after (run branch) |", "|---|---|---|");
  for (const check of run.baseline?.checks ?? []) {
    const after = run.finalChecks?.find((result) => result.check === check.check);
    out.push(`| ${check.check} | ${check.status === "pass" ? check.summary : `${check.status}: ${check.summary}`} | ${after ? (after.status === "pass" ? after.summary : `${after.status}: ${after.summary}`) : "not run (no changes)"} |`);
  }
  for (const missing of run.baseline?.unavailable ?? []) out.push(`| ${missing.check} | unavailable: ${missing.reason} | |`);
  const baselineFailures = run.baseline?.checks.flatMap((check) => check.failures.map((failure) => `${check.check}: ${failure}`)) ?? [];
  if (baselineFailures.length > 0) out.push("", `Failing at baseline (a change may not add to these): ${baselineFailures.slice(0, 20).map((item) => `\`${item}\``).join(", ")}`);

  const committed = tasks.filter((task) => task.state === "committed");
  out.push("", `## Committed (${committed.length})`, "");
  for (const task of committed) {
    out.push(`### ${task.task.title}`, "", `- commit \`${task.commit?.slice(0, 12)}\`, agent ${task.task.agent}, files ${task.task.files.map((file) => `\`${file}\``).join(", ")}`, `- checks: ${checksLine(task.checks)}`, "");
    if (task.diff) out.push("```diff", task.diff.trimEnd(), "```", "");
  }
  const dropped = tasks.filter((task) => task.state === "failed" || task.state === "rejected");
  out.push(`## Rejected (${dropped.length})`, "");
  for (const task of dropped) {
    out.push(`### ${task.task.title}`, "", `- ${task.state === "failed" ? "failed the proof" : "rejected by the reviewer"}: ${task.reason ?? ""}`);
    for (const comment of task.review) out.push(`- review (${comment.rule}${comment.path ? `, ${comment.path}` : ""}): ${comment.message}`);
    out.push("");
    if (task.diff) out.push("```", task.diff.trimEnd(), "```", "");
  }
  const other = tasks.filter((task) => !["committed", "failed", "rejected"].includes(task.state));
  if (other.length > 0) {
    out.push(`## Not changed (${other.length})`, "");
    for (const task of other) out.push(`- ${task.state}: ${task.task.title}${task.reason ? ` (${task.reason})` : task.state === "planned" ? " (not attempted: --max-changes reached or the run stopped)" : ""}`);
    out.push("");
  }
  out.push(`## Journal`, "", `${events.length} task state transitions recorded; audit trail \`.pyagent/audit/${run.id}.jsonl\` (${run.auditSeq} records).`, "");
  return redactText(out.join("\n"));
}

export function writeRunReport(stateDirectory: string, run: RunRecord, tasks: TaskRecord[], events: TaskEvent[]): string {
  const path = reportPath(stateDirectory, run.id);
  mkdirSync(join(stateDirectory, "runs"), { recursive: true });
  writeFileSync(path, runMarkdown(run, tasks, events));
  return path;
}
