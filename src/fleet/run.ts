import { existsSync, rmSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import { newId } from "../core/index.js";
import { createPythonParser, type ProjectAnalysis } from "../python/index.js";
import { AuditTrail, auditPath } from "./audit.js";
import { describeNewFailures, newFailures, proveTree, runBaseline, type CheckEnvironment } from "./checks.js";
import { commitsOfRun, landOnBranch } from "./commits.js";
import { BaselineError, FleetError, RunInterruptedError, UnknownRunError, UnprovenBaselineError } from "./errors.js";
import { git, gitRun, resolveCommit } from "./git.js";
import { openJournal, RunJournal, type RunOptions, type RunRecord, type TaskRecord } from "./journal.js";
import { claimRepository, claimRun } from "./lock.js";
import { mergeRunBranch } from "./merge.js";
import { analyzeTree, withCommitAnalysis, planTasks, selectAgents } from "./plan.js";
import { preflight, type Preflight } from "./preflight.js";
import { endRecordedGroups, processGroupLog, processGroupsPath } from "./process-groups.js";
import type { Sandbox, SandboxMode } from "./sandbox.js";
import { sandboxForRun } from "./sandbox-policy.js";
import { writeRunReport } from "./report.js";
import { buildApiIndex, type ApiIndex } from "./review.js";
import { requireCountedTests } from "./test-proof.js";
import { Mutex, schedule } from "./scheduler.js";
import { workTask } from "./task.js";
import type { FleetAgent, FleetTask, MergeOutcome, RunEvent, TaskState } from "./types.js";
import { addWorktree, pycacheDirectory, removeRunWorktrees, removeWorktree, runWorktreeDirectory, stateDirectory } from "./worktrees.js";

export interface ImproveOptions {
  path: string;
  /** Every agent available; `agentNames` picks among them. */
  agents: FleetAgent[];
  agentNames?: string[];
  maxChanges?: number;
  mergeThreshold?: number;
  merge?: boolean;
  jobs: number;
  checkTimeoutMs?: number;
  python?: string;
  goal?: string;
  /** Continue this run (after a crash or Ctrl-C) instead of starting a new one. */
  resume?: string;
  /** Go on when the project's tests cannot run at baseline (collection errors, nothing passes): changes are then proven by the other checks only. */
  allowUnproven?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /** Replans the agents' candidate tasks (the LLM director): may drop, reorder and re-target them. Not asked on resume. */
  director?: (candidates: FleetTask[], analysis: ProjectAnalysis, goal: string | null) => Promise<FleetTask[]>;
  /** Told the run's id and an appender to its audit trail once the run is open: model calls join the hash-chained record. */
  onRunOpen?: (runId: string, record: (type: string, data: unknown) => void) => void;
  /** How long to wait for another PyAgent process's repository lock (0, the default: refuse at once; Infinity: no limit). */
  lockWaitMs?: number;
  /** Told when another process holds the repository lock and this run waits for it. */
  onLockWait?: (message: string) => void;
  /** Where proofs run (default auto): see sandbox.ts and docs/security.md. */
  sandbox?: SandboxMode;
  /** Environment variables the sandbox lets through besides its allow-list (`--sandbox-env`). */
  sandboxEnv?: string[];
}

export interface RunSummary {
  run: RunRecord;
  tasks: TaskRecord[];
  reportPath: string;
  interrupted: boolean;
  /** How the proofs ran (`bwrap`, `none`, `off`) and the line saying so. */
  sandbox: { kind: Sandbox["kind"]; description: string };
}

const DEFAULT_CHECK_TIMEOUT_MS = 600_000;
const LAND_ATTEMPTS = 3;

/** Plans without touching the repository: analysis of HEAD in a temporary export. */
export async function planImprove(
  options: Pick<ImproveOptions, "path" | "agents" | "agentNames" | "maxChanges" | "python">,
): Promise<{ preflight: Preflight; tasks: FleetTask[]; notAnalyzed: Array<{ path: string; message: string }> }> {
  const checked = await preflight(options.path, { python: options.python });
  const agents = selectAgents(options.agents, options.agentNames);
  const { tasks, notAnalyzed } = await withCommitAnalysis(checked.root, checked.headCommit, (analysis) => ({ tasks: planTasks(agents, analysis), notAnalyzed: analysis.errors }));
  return { preflight: checked, tasks: options.maxChanges === undefined ? tasks : tasks.slice(0, options.maxChanges), notAnalyzed };
}

/**
 * A fleet run, start to finish: preflight, baseline, plan, work/prove/review/commit per task
 * (`jobs` at a time), final proof of the run branch, merge when asked, report. Every step is in
 * the journal first, so `resume` after a kill at any moment continues where the run stood.
 */
export async function improve(options: ImproveOptions): Promise<RunSummary> {
  let checked = await preflight(options.path, { python: options.python });
  const root = checked.root;
  const agents = selectAgents(options.agents, options.agentNames);
  const { store, journal } = openJournal(root);
  let release = () => {};
  let releaseRepository = () => {};
  try {
    // One run per repository: two at once would land and merge the same fixes twice.
    let waited = false;
    releaseRepository = await claimRepository(stateDirectory(root), options.resume ? `pyagent improve --resume ${options.resume}` : "pyagent improve", {
      waitMs: options.lockWaitMs,
      signal: options.signal,
      onWait: (message) => ((waited = true), options.onLockWait?.(message)),
    });
    // The run that held the lock may have moved HEAD (a merge): start from where it is now.
    if (waited) checked = await preflight(options.path, { python: options.python });
    // Decided before anything is recorded: a run that may not prove its changes here does not start.
    const resumed = options.resume ? journal.getRun(options.resume) : undefined;
    const runAgents = resumed ? resumed.options.agents : agents.map((agent) => agent.name);
    const sandbox = await sandboxForRun({
      mode: options.sandbox ?? "auto",
      root,
      python: options.python || !resumed ? checked.python : resumed.options.python,
      pycacheDir: pycacheDirectory(root),
      allowEnv: options.sandboxEnv,
      modelAgents: options.agents.filter((agent) => agent.work && runAgents.includes(agent.name)).map((agent) => agent.name),
    });
    let run: RunRecord;
    if (options.resume) {
      const found = journal.getRun(options.resume);
      if (!found) throw new UnknownRunError(`no run ${options.resume} in ${root} (see 'pyagent runs')`);
      run = found;
    } else {
      const id = newId();
      const runOptions: RunOptions = {
        agents: agents.map((agent) => agent.name),
        maxChanges: options.maxChanges ?? null,
        mergeThreshold: options.mergeThreshold ?? 50,
        merge: options.merge ?? false,
        jobs: options.jobs,
        checkTimeoutMs: options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS,
        python: checked.python,
        goal: options.goal ?? null,
        allowUnproven: options.allowUnproven ?? false,
      };
      journal.createRun({ id, root, baseCommit: checked.headCommit, baseBranch: checked.branch, runBranch: `pyagent/${id}`, options: runOptions });
      run = journal.getRun(id)!;
    }
    release = claimRun(join(stateDirectory(root), "runs", `${run.id}.lock`));
    if (options.resume) {
      // The resuming command may change how fast the run goes, not what it does.
      run.options = {
        ...run.options,
        jobs: options.jobs,
        merge: run.options.merge || (options.merge ?? false),
        allowUnproven: (run.options.allowUnproven ?? false) || (options.allowUnproven ?? false),
        ...(options.python ? { python: checked.python } : {}),
      };
      if (run.baseline) requireCountedTests(run.baseline, run.id, root);
      journal.updateRun(run.id, { options: run.options });
    }
    const audit = AuditTrail.open(auditPath(stateDirectory(root), run.id), (seq, hash) => journal.setAuditHead(run.id, seq, hash));
    audit.agreeWith({ seq: run.auditSeq, hash: run.auditHash });
    options.onRunOpen?.(run.id, (type, data) => void audit.append(type, data));
    const runner = new RunDriver(root, run, journal, audit, options.agents, options, sandbox);
    return await runner.drive(Boolean(options.resume));
  } finally {
    release();
    releaseRepository();
    store.close();
  }
}

class RunDriver {
  private readonly environment: CheckEnvironment;
  /** The baseline's: the same sandbox with the shared bytecode cache writable (the base commit is the user's own code). */
  private readonly baselineEnvironment: CheckEnvironment;
  private readonly runRef: string;
  private readonly worktrees: string;
  private readonly landing = new Mutex();
  private committed = 0;
  private inFlight = 0;
  private mergeRefused = false;

  constructor(
    private readonly root: string,
    private run: RunRecord,
    private readonly journal: RunJournal,
    private readonly audit: AuditTrail,
    private readonly agents: FleetAgent[],
    private readonly options: ImproveOptions,
    private readonly sandbox: Sandbox,
  ) {
    this.worktrees = runWorktreeDirectory(root, run.id);
    this.runRef = `refs/heads/${run.runBranch}`;
    const groups = processGroupLog(processGroupsPath(root, run.id));
    this.environment = { python: run.options.python, timeoutMs: run.options.checkTimeoutMs, pycacheDir: pycacheDirectory(root), signal: options.signal, sandbox: sandbox.with({ groups }) };
    this.baselineEnvironment = { ...this.environment, sandbox: sandbox.with({ groups, sharedCache: true }) };
  }

  private emit(event: RunEvent): void {
    this.options.onEvent?.(event);
  }

  async drive(resumed: boolean): Promise<RunSummary> {
    const { run } = this;
    this.audit.append(resumed ? "run-resume" : "run-start", { runId: run.id, root: this.root, baseCommit: run.baseCommit, baseBranch: run.baseBranch, options: run.options, sandbox: this.sandbox.kind });
    this.emit({ type: "run-start", runId: run.id, resumed, sandbox: this.sandbox.description });
    // Leftovers of a killed process: its checks first (they may still run in the worktrees), then the worktrees.
    endRecordedGroups(processGroupsPath(this.root, run.id));
    await removeRunWorktrees(this.root, run.id);
    // A kill inside `git update-ref` leaves the ref's lock file; this process holds the run, so it is stale.
    rmSync(await git(this.root, ["rev-parse", "--git-path", `${this.runRef}.lock`]).then((path) => resolvePath(this.root, path)), { force: true });
    try {
      return await this.driveSteps();
    } finally {
      await removeRunWorktrees(this.root, run.id);
      // A run branch with no commits (the run stopped before its plan, or nothing passed) is noise
      // in the user's branch list: leave none behind (resume recreates it).
      await this.dropEmptyRunBranch();
    }
  }

  private async driveSteps(): Promise<RunSummary> {
    const { run } = this;
    if (!(await resolveCommit(this.root, this.runRef))) await git(this.root, ["branch", "--no-track", run.runBranch, run.baseCommit]);

    let apiIndex: ApiIndex;
    if (run.phase === "baseline" || !run.baseline) apiIndex = await this.baselineAndPlan();
    else apiIndex = buildApiIndex(await this.analyzeAt(run.baseCommit));
    this.run = this.journal.getRun(run.id)!;

    let interrupted = false;
    if (this.run.phase === "working") {
      await this.reconcile();
      await this.work(apiIndex);
      interrupted = this.options.signal?.aborted ?? false;
      if (!interrupted) this.journal.updateRun(run.id, { phase: "finishing" });
    }
    this.run = this.journal.getRun(run.id)!;
    if (!interrupted && this.run.phase === "finishing") await this.finish();
    this.run = this.journal.getRun(run.id)!;
    const tasks = this.journal.getTasks(run.id);
    const counts = countStates(tasks);
    if (!interrupted) {
      this.audit.append("run-end", { counts, merges: this.run.merges });
      this.emit({ type: "run-end", counts });
    } else {
      this.audit.append("run-interrupted", { counts });
    }
    const reportPath = writeRunReport(stateDirectory(this.root), this.run, tasks, this.journal.getEvents(run.id));
    return { run: this.run, tasks, reportPath, interrupted, sandbox: { kind: this.sandbox.kind, description: this.sandbox.description } };
  }

  private async analyzeAt(commit: string) {
    const tree = await addWorktree(this.root, join(this.worktrees, "analysis"), commit);
    try {
      return await analyzeTree(tree);
    } finally {
      await removeWorktree(this.root, tree);
    }
  }

  /** Runs the checks once at the base commit, then plans. A check that hangs at baseline ends the run: nothing could be proven. */
  private async baselineAndPlan(): Promise<ApiIndex> {
    const { run } = this;
    const tree = await addWorktree(this.root, join(this.worktrees, "baseline"), run.baseCommit);
    try {
      const baseline = await runBaseline(tree, run.baseCommit, this.baselineEnvironment);
      this.throwIfInterrupted(); // a check killed by Ctrl-C is not a baseline failure
      this.audit.append("baseline-end", {
        checks: baseline.checks.map(({ output: _output, ...check }) => check),
        unavailable: baseline.unavailable,
        tests: baseline.tests ? { command: baseline.tests.command, succeeded: baseline.tests.succeeded.length, flaky: baseline.tests.flaky } : null,
        unproven: baseline.unproven ?? null,
      });
      this.emit({ type: "baseline-end", baseline });
      const hung = baseline.checks.filter((check) => check.status === "timeout");
      if (hung.length > 0) {
        await removeWorktree(this.root, tree);
        await this.dropEmptyRunBranch();
        this.journal.updateRun(run.id, { phase: "finished", baseline });
        throw new BaselineError(
          `${hung.map((check) => check.check).join(" and ")} did not finish within ${Math.round(run.options.checkTimeoutMs / 1000)} s at the baseline commit; changes cannot be proven: fix the hang or raise --check-timeout`,
          { runId: run.id },
        );
      }
      if (baseline.unproven && !run.options.allowUnproven) {
        await removeWorktree(this.root, tree);
        await this.dropEmptyRunBranch();
        this.journal.updateRun(run.id, { phase: "finished", baseline });
        throw new UnprovenBaselineError(
          `the project's tests cannot run at the baseline commit: ${baseline.unproven}; no change could be proven, so nothing was changed. ` +
            `Try: install the project and its test dependencies for ${run.options.python} (or pass --python with an environment that has them), ` +
            `or name the command that runs the tests in [tool.pyagent] test-command in pyproject.toml; --allow-unproven goes on with only the other checks`,
          { runId: run.id },
        );
      }
      const analysis = await analyzeTree(tree);
      const agents = this.agents.filter((agent) => run.options.agents.includes(agent.name));
      const candidates = planTasks(agents, analysis);
      const tasks = this.options.director ? await this.options.director(candidates, analysis, run.options.goal) : candidates;
      this.journal.saveTasks(run.id, tasks);
      this.journal.updateRun(run.id, { notAnalyzed: analysis.errors });
      this.journal.updateRun(run.id, { baseline, phase: "working" });
      this.audit.append("plan-end", { tasks: tasks.map((task) => ({ id: task.id, agent: task.agent, title: task.title, files: task.files, benefit: task.benefit })), notAnalyzed: analysis.errors });
      this.emit({ type: "plan-end", tasks: tasks.length, notAnalyzed: analysis.errors });
      return buildApiIndex(analysis);
    } finally {
      if (existsSync(tree)) await removeWorktree(this.root, tree);
    }
  }

  private throwIfInterrupted(): void {
    if (this.options.signal?.aborted) throw new RunInterruptedError(`interrupted; continue with: pyagent improve ${this.root} --resume ${this.run.id}`, { runId: this.run.id });
  }

  private async dropEmptyRunBranch(): Promise<void> {
    const tip = await resolveCommit(this.root, this.runRef);
    if (tip === this.run.baseCommit) await gitRun(this.root, ["update-ref", "-d", this.runRef, tip]);
  }

  private transition(record: TaskRecord | FleetTask, to: TaskState, fields: Parameters<RunJournal["transition"]>[3] = {}): void {
    const task = "task" in record ? record.task : record;
    this.journal.transition(this.run.id, task.id, to, fields);
    this.audit.append("task-state", { taskId: task.id, agent: task.agent, state: to, commit: fields.commit ?? fields.provenCommit ?? undefined, reason: fields.reason ?? undefined });
    if (to === "running") this.emit({ type: "task-start", taskId: task.id, title: task.title });
    else this.emit({ type: "task-end", taskId: task.id, title: task.title, state: to, reason: fields.reason ?? undefined });
  }

  /**
   * Makes the journal agree with git after a crash: commits on the run branch (found by their
   * PyAgent-Task trailer) are `committed`; proven commits not yet on the branch are landed
   * without re-proving; tasks caught `running` start over.
   */
  private async reconcile(): Promise<void> {
    const onBranch = await commitsOfRun(this.root, this.run.id, this.runRef, this.run.baseCommit);
    for (const record of this.journal.getTasks(this.run.id)) {
      const commit = onBranch.get(record.task.id);
      if (commit && record.state !== "committed") {
        this.transition(record, "committed", { commit, reason: "found on the run branch after an interruption" });
      } else if (record.state === "proven" && record.provenCommit && record.baseCommit) {
        const exists = await resolveCommit(this.root, record.provenCommit);
        const landed = exists ? await landOnBranch(this.root, this.runRef, record.provenCommit, record.baseCommit, record.task.files) : undefined;
        if (landed?.state === "landed") this.transition(record, "committed", { commit: landed.commit });
        else this.transition(record, "planned", { reason: "proven before an interruption but no longer applies cleanly; will be re-proven" });
      } else if (record.state === "running") {
        this.transition(record, "planned", { reason: "interrupted while running; starts over" });
      }
    }
  }

  private async work(apiIndex: ApiIndex): Promise<void> {
    const parser = await createPythonParser();
    try {
      const records = this.journal.getTasks(this.run.id);
      this.committed = records.filter((record) => record.state === "committed").length;
      const planned = records.filter((record) => record.state === "planned").map((record) => ({ ...record, id: record.task.id, files: record.task.files }));
      const max = this.run.options.maxChanges;
      const canStart = () => !this.options.signal?.aborted && (max === null || this.committed + this.inFlight < max);
      await schedule(planned, Math.max(1, this.run.options.jobs), (record) => this.runTask(record, parser, apiIndex), canStart);
    } finally {
      parser.delete();
    }
  }

  private async runTask(record: TaskRecord, parser: Awaited<ReturnType<typeof createPythonParser>>, apiIndex: ApiIndex): Promise<void> {
    const agent = this.agents.find((candidate) => candidate.name === record.task.agent);
    if (!agent) {
      this.transition(record, "skipped", { reason: `agent ${record.task.agent} is not available in this PyAgent` });
      return;
    }
    this.inFlight++;
    try {
      for (let attempt = 1; attempt <= LAND_ATTEMPTS; attempt++) {
        this.transition(record, "running", { attempts: record.attempts + attempt });
        const started = performance.now();
        const workMs = () => performance.now() - started;
        const baseCommit = await git(this.root, ["rev-parse", "--verify", this.runRef]);
        const outcome = await workTask(record.task, {
          root: this.root,
          runId: this.run.id,
          agent,
          baseline: this.run.baseline!,
          environment: this.environment,
          parser,
          apiIndex,
          worktreePath: join(this.worktrees, `task-${record.task.id.slice(0, 40)}`),
          baseCommit,
          runBaseCommit: this.run.baseCommit,
        });
        if (outcome.state === "interrupted") return this.transition(record, "planned", { reason: "interrupted" });
        if (outcome.state === "skipped") return this.transition(record, "skipped", { reason: outcome.reason, workMs: workMs() });
        if (outcome.state === "rejected") return this.transition(record, "rejected", { reason: outcome.reason, review: outcome.review, diff: outcome.diff, workMs: workMs() });
        if (outcome.state === "failed") return this.transition(record, "failed", { reason: outcome.reason, checks: outcome.checks, diff: `${outcome.diff}\n\n# failing output\n${outcome.output}`, workMs: workMs() });
        this.transition(record, "proven", { provenCommit: outcome.provenCommit, baseCommit: outcome.baseCommit, checks: outcome.checks, diff: outcome.diff });
        const landed = await this.landing.run(async () => {
          const result = await landOnBranch(this.root, this.runRef, outcome.provenCommit, outcome.baseCommit, record.task.files);
          if (result.state === "landed") {
            this.committed++;
            this.transition(record, "committed", { commit: result.commit, workMs: workMs() });
            await this.mergeWhenThresholdReached();
          }
          return result;
        });
        if (landed.state === "landed") return;
        if (landed.state === "moved") throw new FleetError(`${this.run.runBranch} was moved by something other than this run; stopping (resume with --resume ${this.run.id})`);
      }
      this.transition(record, "failed", { reason: `the task's files kept changing under it (${LAND_ATTEMPTS} attempts)` });
    } finally {
      this.inFlight--;
    }
  }

  private async pendingCount(): Promise<number> {
    if (!this.run.baseBranch) return 0;
    const target = await resolveCommit(this.root, `refs/heads/${this.run.baseBranch}`);
    if (!target) return 0;
    return Number(await git(this.root, ["rev-list", "--count", `${target}..${this.runRef}`]));
  }

  /** With --merge, a batch is merged as soon as `merge-threshold` accepted changes are pending. */
  private async mergeWhenThresholdReached(): Promise<void> {
    if (!this.run.options.merge || this.mergeRefused || (await this.pendingCount()) < this.run.options.mergeThreshold) return;
    const outcome = await this.merge();
    // A refused merge (conflict, failing checks, uncommitted changes) is not retried after every
    // commit; the end of the run tries once more.
    if (outcome.state !== "merged" && outcome.state !== "up-to-date") this.mergeRefused = true;
  }

  private async merge(): Promise<MergeOutcome> {
    const outcome = await mergeRunBranch({
      root: this.root,
      runId: this.run.id,
      runBranch: this.run.runBranch,
      targetBranch: this.run.baseBranch,
      baseline: this.run.baseline!,
      environment: this.environment,
      worktreeDirectory: this.worktrees,
      onStep: (step, data) => this.audit.append(step, data),
    });
    const merges = [...(this.journal.getRun(this.run.id)?.merges ?? []), outcome];
    this.journal.updateRun(this.run.id, { merges });
    this.audit.append("merge-end", outcome);
    this.emit({ type: "merge-end", outcome });
    return outcome;
  }

  /** Proves the run branch's tip as a whole (changes were proven one by one), then merges when asked. */
  private async finish(): Promise<void> {
    const tip = await git(this.root, ["rev-parse", "--verify", this.runRef]);
    if (tip !== this.run.baseCommit) {
      const tree = await addWorktree(this.root, join(this.worktrees, "final"), tip);
      try {
        const changed = (await git(tree, ["diff", "--name-only", "-z", this.run.baseCommit, tip, "--", "*.py"])).split("\0").filter((path) => path && existsSync(join(tree, path)));
        const finalChecks = await proveTree(tree, this.run.baseline!, changed, this.environment);
        this.throwIfInterrupted();
        this.journal.updateRun(this.run.id, { finalChecks });
        this.audit.append("final-checks", { commit: tip, checks: finalChecks.map(({ output: _output, ...check }) => check), newFailures: newFailures(this.run.baseline!, finalChecks) });
      } finally {
        await removeWorktree(this.root, tree);
      }
    }
    this.run = this.journal.getRun(this.run.id)!;
    const finalBroken = this.run.finalChecks ? newFailures(this.run.baseline!, this.run.finalChecks) : [];
    if (this.run.options.merge && (await this.pendingCount()) > 0) {
      if (finalBroken.length === 0) await this.merge();
      else {
        const outcome: MergeOutcome = {
          state: "checks-failed",
          branch: this.run.baseBranch ?? "HEAD",
          reason: `the run branch as a whole fails ${describeNewFailures(finalBroken)}`,
        };
        this.journal.updateRun(this.run.id, { merges: [...this.run.merges, outcome] });
        this.audit.append("merge-end", outcome);
        this.emit({ type: "merge-end", outcome });
      }
    }
    this.throwIfInterrupted();
    this.journal.updateRun(this.run.id, { phase: "finished" });
  }
}

export function countStates(tasks: TaskRecord[]): Record<TaskState, number> {
  const counts: Record<TaskState, number> = { planned: 0, running: 0, proven: 0, failed: 0, rejected: 0, skipped: 0, committed: 0 };
  for (const task of tasks) counts[task.state]++;
  return counts;
}
