/**
 * `pyagent improve`, `merge`, `runs`, `show`, `audit verify`.
 *
 * Exit codes:
 *   0   the run finished (every task ended committed, failed, rejected or skipped: a dropped change
 *       is the pipeline working, and the report says why), or a merge/verify succeeded
 *   1   the run finished but something asked for did not happen: the merge hit a conflict, the
 *       merged tree failed the checks, the user's branch could not be moved (uncommitted changes);
 *       or the run branch as a whole failed a check; or `audit verify` found a broken trail
 *   2   bad input: bad flag, path missing, not a git repository (or not its top level), no
 *       commits, no Python files at HEAD, Python not found, unknown run id, run held by a live process
 *   3   the store or journal was written by a newer PyAgent, or the run (--resume, merge) by an
 *       older one whose proof did not count tests by id
 *   4   a check hung at the baseline (per-check timeout): nothing could be proven; no run branch is left
 *   5   the project's tests cannot run at the baseline (collection errors, no test passes, pytest
 *       missing): nothing was changed and no run branch is left; --allow-unproven goes on anyway
 *   6   no model of the run could be reached (connection refused, unknown host, API key refused or
 *       missing): before the run (nothing started), or during it (LLM work stopped, what was
 *       proven is kept)
 *   65  the run's audit trail was changed outside PyAgent: `--resume` and `merge` refuse that run
 *   75  another PyAgent process holds the repository lock (.pyagent/repo.lock): `improve` and `merge`
 *       refuse at once, or with --wait [seconds] wait for it; also a lock held on another host
 *   7   no sandbox for the proofs: an LLM agent's changes would run unsandboxed (no working bubblewrap
 *       and no --sandbox off), or --sandbox bwrap was asked for and does not work here
 *   130 interrupted (Ctrl-C): the journal holds the run; continue with --resume RUN_ID
 *   70  internal error (a bug; --debug prints the stack)
 */
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { UsageError } from "../../../core/index.js";
import { redactKnownSecrets } from "../../../observability/index.js";
import { deterministicAgents } from "../../../agents/deterministic/index.js";
import { LLM_AGENT_NAMES } from "../../../agents/llm/index.js";
import { prepareLlmRun, type LlmRunFlags } from "./improve-llm.js";
import {
  auditPath,
  countStates,
  describeMerge,
  describeTestCommand,
  finalTable,
  improve,
  mergeRun,
  SANDBOX_MODES,
  newFailuresOf,
  notAnalyzedLines,
  openJournal,
  planImprove,
  runHolder,
  runJson,
  stateDirectory,
  verifyAuditFile,
  type FleetAgent,
  type RunEvent,
  type RunSummary,
  type SandboxMode,
  type TaskState,
} from "../../../fleet/index.js";

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

interface ImproveFlags extends LlmRunFlags {
  goal?: string;
  agents?: string;
  maxChanges?: number;
  dryRun?: boolean;
  mergeThreshold: number;
  merge?: boolean;
  resume?: string;
  jobs?: number;
  checkTimeout: number;
  python?: string;
  allowUnproven?: boolean;
  format: "text" | "json";
  progress: boolean;
  wait?: true | number;
  sandbox: SandboxMode;
  sandboxEnv?: string[];
}

/** `--wait [seconds]`: how long to wait for another PyAgent process's repository lock (bare: no limit). */
function lockWaitMs(wait: true | number | undefined): number {
  if (wait === undefined) return 0;
  return wait === true ? Number.POSITIVE_INFINITY : wait * 1000;
}

const WAIT_HELP = "when another PyAgent process works on the repository, wait up to SECONDS for it (no value: no limit) instead of refusing (exit 75)";

function decimal(name: string) {
  return (value: string) => {
    if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`invalid --${name} '${value}': expected a non-negative number`);
    return Number(value);
  };
}

function integer(name: string, minimum = 0) {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < minimum) throw new UsageError(`invalid --${name} '${value}': expected an integer >= ${minimum}`);
    return Number(value);
  };
}

function names(value: string): string[] {
  const list = value.split(",").map((name) => name.trim()).filter(Boolean);
  const bad = list.find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  if (bad !== undefined) throw new UsageError(`invalid --sandbox-env name '${bad}': expected environment variable names separated by commas`);
  return list;
}

/** `--sandbox` and `--sandbox-env`, shared by improve and merge. */
function sandboxOptions(): Option[] {
  return [
    new Option("--sandbox <mode>", "where proofs run: auto (bubblewrap when it works here; without it LLM agents are refused), bwrap (required), off (your full environment, files and network)").choices(SANDBOX_MODES).default("auto"),
    new Option("--sandbox-env <names>", "comma-separated environment variables the sandboxed proofs may see besides the allow-list (e.g. DATABASE_URL)").argParser(names),
  ];
}

/** The deterministic agents, as the fleet drives them. */
export function availableAgents(): FleetAgent[] {
  return Object.values(deterministicAgents).filter((agent) => agent !== undefined) as FleetAgent[];
}

/** The --agents help: which agents run by default and why the others wait to be named. */
function agentsHelp(): string {
  const agents = availableAgents();
  const byDefault = agents.filter((agent) => !agent.optIn).map((agent) => agent.name);
  const optIn = agents.filter((agent) => agent.optIn).map((agent) => agent.name);
  return (
    `comma-separated agents to use. Default: ${byDefault.join(", ")} (changes a maintainer accepts without discussion); ` +
    `opt-in: ${optIn.join(", ")} (they reshape code or trade import time, so only when named); ` +
    `LLM agents ${LLM_AGENT_NAMES.join(", ")} (with --model they join the default)`
  );
}

export function registerImproveCommands(program: Command, io: Io): void {
  const setExit = (code: number): void => void program.setOptionValue("exitCode", code);
  program
    .command("improve")
    .description("a fleet run: plan, change, prove, review and commit improvements on branch pyagent/<run-id>")
    .argument("[path]", "the git repository to improve", ".")
    .option("--goal <text>", "what the run should aim for (recorded; deterministic agents plan from findings)")
    .option("--agents <names>", agentsHelp())
    .option("--max-changes <n>", "commit at most N changes", integer("max-changes", 1))
    .option("--dry-run", "print the plan and exit without touching anything")
    .option("--merge-threshold <n>", "with --merge, merge a batch whenever N accepted changes are pending", integer("merge-threshold", 1), 50)
    .option("--merge", "merge the run branch into the branch the run started from (re-proven first)")
    .option("--resume <run-id>", "continue an interrupted run")
    .option("-j, --jobs <n>", "tasks worked at once (default: one per core)", integer("jobs", 1))
    .option("--check-timeout <seconds>", "kill a check running longer than this and count it as failed", integer("check-timeout", 1), 600)
    .option("--python <interpreter>", "Python that runs the checks (default $PYAGENT_PYTHON, python3, python)")
    .option("--allow-unproven", "go on when the project's tests cannot run at baseline (changes are then proven by the other checks only)")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("--no-progress", "no progress lines on stderr")
    .option("--wait [seconds]", WAIT_HELP, integer("wait", 0))
    .option("--model <url|name>", `model for the LLM agents (${LLM_AGENT_NAMES.join(", ")}): an OpenAI-compatible base URL or a configured name; with it, --agents defaults to every agent`)
    .option("--budget <usd>", "hard limit on model spend in USD: no model call starts that could exceed it", decimal("budget"))
    .option("--token-budget <n>", "hard limit on model tokens (input + output)", integer("token-budget", 1))
    .option("--no-cache", "do not answer model calls from the response cache")
    .option("--strategy <name>", "LLM agents' reasoning: single, plan-then-act, self-consistency, reflexion (default)")
    .option("--swarm <strategies>", "per task, one proposer per listed strategy in parallel; the proven one the reviewer ranks best wins")
    .option("--retries <n>", "reflexion retries after a failed proof (default 2)", integer("retries", 0))
    .option("--max-output-tokens <n>", "bound on each model reply (default 2048)", integer("max-output-tokens", 1))
    .option("--no-director", "run the agents' own plan instead of the LLM director's")
    .option("--no-model-review", "commit proven LLM changes without the model reviewer's verdict")
    .addOption(sandboxOptions()[0]!)
    .addOption(sandboxOptions()[1]!)
    .action(async (path: string, flags: ImproveFlags) => setExit(await runImprove(path, flags, io)));

  program
    .command("merge")
    .description("merge a run's branch into the branch it started from (re-proven first)")
    .argument("<run-id>")
    .argument("[path]", "the repository", ".")
    .option("--python <interpreter>", "Python that runs the checks")
    .option("--wait [seconds]", WAIT_HELP, integer("wait", 0))
    .addOption(sandboxOptions()[0]!)
    .addOption(sandboxOptions()[1]!)
    .action(async (runId: string, path: string, flags: { python?: string; wait?: true | number; sandbox: SandboxMode; sandboxEnv?: string[] }) => {
      const outcome = await mergeRun(path, runId, {
        python: flags.python,
        lockWaitMs: lockWaitMs(flags.wait),
        onLockWait: (message) => io.stderr.write(`pyagent: ${message}\n`),
        sandbox: flags.sandbox,
        sandboxEnv: flags.sandboxEnv,
        modelAgents: LLM_AGENT_NAMES,
        onSandbox: (sandbox) => {
          if (sandbox.kind !== "bwrap") io.stderr.write(`pyagent: ${sandbox.description}\n`);
        },
      });
      io.stdout.write(`${describeMerge(outcome)}\n`);
      setExit(outcome.state === "merged" || outcome.state === "up-to-date" ? 0 : 1);
    });

  program
    .command("runs")
    .description("list the fleet runs of a repository")
    .argument("[path]", "the repository", ".")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .action((path: string, flags: { format: string }) => {
      const journal = readJournal(path);
      if (!journal) return void io.stdout.write(flags.format === "json" ? "[]\n" : "no runs\n");
      try {
        const runs = journal.journal.listRuns().map((run) => ({ run, counts: countStates(journal.journal.getTasks(run.id)) }));
        if (flags.format === "json") return void io.stdout.write(`${JSON.stringify(runs.map(({ run, counts }) => ({ id: run.id, phase: run.phase, baseBranch: run.baseBranch, runBranch: run.runBranch, createdAt: run.createdAt, counts, merges: run.merges })), null, 2)}\n`);
        if (runs.length === 0) return void io.stdout.write("no runs\n");
        for (const { run, counts } of runs) {
          const merged = run.merges.at(-1);
          const live = runHolder(join(stateDirectory(resolve(path)), "runs", `${run.id}.lock`));
          const state = run.phase === "finished" ? "finished" : live ? "running" : "stopped";
          io.stdout.write(`${run.id}  ${state.padEnd(9)}  ${counts.committed} committed, ${counts.failed} failed the proof, ${counts.rejected} rejected by review, ${counts.skipped} skipped, ${counts.planned} not attempted  ${run.runBranch}${merged ? `  (${merged.state})` : ""}${state === "stopped" ? `  (resume: pyagent improve ${run.root} --resume ${run.id})` : ""}\n`);
        }
      } finally {
        journal.store.close();
      }
    });

  program
    .command("show")
    .description("show one run: its tasks, why changes were rejected, and the diffs")
    .argument("<run-id>")
    .argument("[path]", "the repository", ".")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .action((runId: string, path: string, flags: { format: string }) => {
      const journal = readJournal(path);
      const run = journal?.journal.getRun(runId);
      try {
        if (!journal || !run) throw new UsageError(`no run ${runId} in ${resolve(path)} (see 'pyagent runs')`);
        const tasks = journal.journal.getTasks(runId);
        if (flags.format === "json") return void io.stdout.write(`${JSON.stringify({ ...runJson(run, tasks), diffs: Object.fromEntries(tasks.filter((task) => task.diff).map((task) => [task.task.id, task.diff])) }, null, 2)}\n`);
        const report = join(stateDirectory(resolve(path)), "runs", `${run.id}.md`);
        io.stdout.write(existsSync(report) ? readFileSync(report, "utf8") : finalTable(tasks));
      } finally {
        journal?.store.close();
      }
    });

  program
    .command("audit")
    .description("the hash-chained audit trail of runs")
    .command("verify")
    .description("check that a run's audit trail was not edited, and nothing was inserted or deleted")
    .argument("<run-id>")
    .argument("[path]", "the repository", ".")
    .action((runId: string, path: string) => {
      const journal = readJournal(path);
      const run = journal?.journal.getRun(runId);
      journal?.store.close();
      if (!run) throw new UsageError(`no run ${runId} in ${resolve(path)} (see 'pyagent runs')`);
      // PATH's own trail: the journal's recorded root may be another copy of the repository.
      const file = auditPath(stateDirectory(resolve(path)), runId);
      const verdict = verifyAuditFile(file, { seq: run.auditSeq, hash: run.auditHash });
      if (verdict.ok) {
        io.stdout.write(`ok: ${verdict.records} records, chain intact\n`);
        setExit(0);
      } else {
        io.stderr.write(`pyagent: audit trail ${file} is broken at line ${verdict.line}: ${verdict.message}\n`);
        setExit(1);
      }
    });
}

/** The journal of PATH for reading, without creating a store where there is none. */
function readJournal(path: string) {
  const root = resolve(path);
  if (!existsSync(root)) throw new UsageError(`${path}: no such file or directory`);
  if (!existsSync(join(stateDirectory(root), "pyagent.db"))) return undefined;
  return openJournal(root);
}

async function runImprove(path: string, flags: ImproveFlags, io: Io): Promise<number> {
  const agentNames = flags.agents?.split(",").map((name) => name.trim()).filter(Boolean);
  const llm = await prepareLlmRun(path, flags, agentNames, flags.goal);
  try {
    return await runImproveWith(path, flags, io, agentNames, llm);
  } finally {
    llm?.close();
  }
}

async function runImproveWith(path: string, flags: ImproveFlags, io: Io, agentNames: string[] | undefined, llm: Awaited<ReturnType<typeof prepareLlmRun>>): Promise<number> {
  const agents = [...availableAgents(), ...(llm?.agents ?? [])];
  if (flags.dryRun) {
    const { tasks, preflight, notAnalyzed } = await planImprove({ path, agents, agentNames, maxChanges: flags.maxChanges, python: flags.python });
    if (flags.format === "json") io.stdout.write(`${JSON.stringify({ root: preflight.root, head: preflight.headCommit, branch: preflight.branch, tasks, notAnalyzed }, null, 2)}\n`);
    else {
      io.stdout.write(`plan for ${preflight.root} at ${preflight.headCommit.slice(0, 12)}: ${tasks.length} task${tasks.length === 1 ? "" : "s"} (dry run: nothing was changed)\n`);
      for (const task of tasks) io.stdout.write(`  ${task.benefit.toFixed(1).padStart(6)}  ${task.agent.padEnd(16)}  ${task.title}  [${task.files.join(", ")}]\n`);
      for (const line of notAnalyzedLines(notAnalyzed)) io.stdout.write(`${line}\n`);
    }
    return 0;
  }
  const controller = new AbortController();
  const onInterrupt = () => {
    io.stderr.write("pyagent: interrupted; stopping the running checks (resume with --resume)\n");
    controller.abort();
  };
  process.once("SIGINT", onInterrupt);
  const progress = flags.progress ? progressPrinter(io.stderr) : undefined;
  let summary: RunSummary;
  try {
    summary = await improve({
      path,
      agents,
      agentNames,
      maxChanges: flags.maxChanges,
      mergeThreshold: flags.mergeThreshold,
      merge: flags.merge,
      jobs: flags.jobs ?? availableParallelism(),
      checkTimeoutMs: flags.checkTimeout * 1000,
      python: flags.python,
      goal: flags.goal,
      resume: flags.resume,
      allowUnproven: flags.allowUnproven,
      sandbox: flags.sandbox,
      sandboxEnv: flags.sandboxEnv,
      signal: controller.signal,
      onEvent: progress,
      lockWaitMs: lockWaitMs(flags.wait),
      onLockWait: (message) => io.stderr.write(`pyagent: ${message}\n`),
      ...llm?.improveOptions,
    });
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
  const code = exitCode(summary) || (llm?.exitCode() ?? 0);
  llm?.appendToReport(summary.reportPath);
  if (flags.format === "json") {
    const models = llm ? { spend: llm.fleet.budget.report(), stopped: llm.fleet.session.stopped ?? null, directorFallback: llm.fleet.directorFallback ?? null } : undefined;
    io.stdout.write(`${JSON.stringify({ ...runJson(summary.run, summary.tasks), report: summary.reportPath, interrupted: summary.interrupted, exitCode: code, models, sandbox: summary.sandbox }, null, 2)}\n`);
  } else {
    io.stdout.write(finalTable(summary.tasks));
    const counts = countStates(summary.tasks);
    io.stdout.write(`\nrun ${summary.run.id}: ${counts.committed} committed on ${summary.run.runBranch}, ${counts.failed} failed the proof, ${counts.rejected} rejected by review, ${counts.skipped} skipped, ${counts.planned} not attempted\n`);
    for (const line of notAnalyzedLines(summary.run.notAnalyzed)) io.stdout.write(`${line}\n`);
    for (const merge of summary.run.merges) io.stdout.write(`merge: ${describeMerge(merge)}\n`);
    if (summary.sandbox.kind !== "bwrap") io.stdout.write(`${summary.sandbox.description}\n`);
    if (!summary.run.options.merge && counts.committed > 0) io.stdout.write(`your branch was not touched; merge with: pyagent merge ${summary.run.id} ${summary.run.root}\n`);
    for (const line of llm?.summaryLines() ?? []) io.stdout.write(`${line}\n`);
    if (summary.interrupted) io.stdout.write(`interrupted: continue with pyagent improve ${summary.run.root} --resume ${summary.run.id}\n`);
    io.stdout.write(`report: ${summary.reportPath}\n`);
  }
  return code;
}

function exitCode(summary: RunSummary): number {
  if (summary.interrupted) return 130;
  const { run } = summary;
  if (run.baseline && run.finalChecks && newFailuresOf(run.baseline, run.finalChecks).length > 0) return 1;
  if (run.options.merge) {
    const last = run.merges.at(-1);
    if (last && last.state !== "merged" && last.state !== "up-to-date") return 1;
  }
  return 0;
}

/** Live progress on stderr: one line per step, with the task counters. */
function progressPrinter(stderr: NodeJS.WritableStream): (event: RunEvent) => void {
  const counts: Record<TaskState | "queued", number> = { queued: 0, planned: 0, running: 0, proven: 0, failed: 0, rejected: 0, skipped: 0, committed: 0 };
  let total = 0;
  const counters = () => `queued ${counts.queued}, running ${counts.running}, committed ${counts.committed}, failed ${counts.failed}, rejected ${counts.rejected}`;
  return (event) => {
    switch (event.type) {
      case "run-start":
        stderr.write(`pyagent: ${event.resumed ? "resuming" : "starting"} run ${event.runId} (branch pyagent/${event.runId})\n`);
        if (event.sandbox) stderr.write(`${event.sandbox}\n`);
        break;
      case "baseline-end": {
        const { tests } = event.baseline;
        if (tests) stderr.write(`tests: ${describeTestCommand(tests.command)}\n`);
        stderr.write(`baseline: ${event.baseline.checks.map((check) => `${check.check} ${check.status === "pass" ? check.summary : `${check.status} (${check.summary})`}`).join("; ")}${event.baseline.unavailable.map((item) => `; ${item.check} skipped: ${item.reason}`).join("")}\n`);
        if (tests && tests.flaky.length > 0) stderr.write(`flaky at baseline (not blamed on changes): ${tests.flaky.slice(0, 10).join(", ")}${tests.flaky.length > 10 ? `, ... (${tests.flaky.length} in all)` : ""}\n`);
        break;
      }
      case "plan-end":
        total = event.tasks;
        counts.queued = event.tasks;
        stderr.write(`plan: ${event.tasks} task${event.tasks === 1 ? "" : "s"}\n`);
        for (const line of notAnalyzedLines(event.notAnalyzed)) stderr.write(`plan: ${line}\n`);
        break;
      case "task-start":
        counts.queued = Math.max(0, counts.queued - 1);
        counts.running++;
        stderr.write(`running   ${event.title}  [${counters()}]\n`);
        break;
      case "task-end":
        if (event.state === "proven") {
          stderr.write(`proven    ${event.title}\n`);
          break;
        }
        if (event.state === "planned") {
          counts.running = Math.max(0, counts.running - 1);
          counts.queued++;
          break;
        }
        counts.running = Math.max(0, counts.running - 1);
        counts[event.state]++;
        stderr.write(`${event.state.padEnd(9)} ${event.title}${event.reason && event.state !== "committed" ? ` (${redactKnownSecrets(event.reason).slice(0, 200)})` : ""}  [${counters()}${total ? ` of ${total}` : ""}]\n`);
        break;
      case "merge-end":
        stderr.write(`merge: ${describeMerge(event.outcome)}\n`);
        break;
      case "run-end":
        break;
    }
  };
}
