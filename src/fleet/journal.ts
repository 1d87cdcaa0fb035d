import type Database from "better-sqlite3";
import { StateVersionError } from "../core/index.js";
import { SqliteStore } from "../knowledge/index.js";
import { redact, redactKnownSecrets, redactText } from "../observability/index.js";
import { stateDirectory } from "./worktrees.js";
import type { Baseline, CheckResult, FleetTask, MergeOutcome, ReviewComment, TaskState } from "./types.js";

/** Schema version of the fleet's tables in the project store; readers refuse a newer one. */
export const JOURNAL_SCHEMA_VERSION = 1;
const READABLE_VERSIONS = new Set([1]);

/** Phases of a run, in order; a resumed run continues from the phase it was in. */
export type RunPhase = "baseline" | "working" | "finishing" | "finished";

export interface RunOptions {
  agents: string[];
  maxChanges: number | null;
  mergeThreshold: number;
  merge: boolean;
  jobs: number;
  checkTimeoutMs: number;
  python: string;
  goal: string | null;
  /** Go on when the tests cannot run at baseline (absent in journals from before the option: false). */
  allowUnproven?: boolean;
}

export interface RunRecord {
  id: string;
  root: string;
  baseCommit: string;
  /** The branch the run started from (null: detached HEAD, nothing to merge into). */
  baseBranch: string | null;
  runBranch: string;
  options: RunOptions;
  phase: RunPhase;
  createdAt: string;
  updatedAt: string;
  baseline: Baseline | null;
  /** Checks of the run branch's tip at the end of the run. */
  finalChecks: CheckResult[] | null;
  merges: MergeOutcome[];
  auditSeq: number;
  auditHash: string;
  /** Files the plan's analysis could not read or parse (syntax errors, over max-file-bytes): no task touches them. */
  notAnalyzed: Array<{ path: string; message: string }>;
}

export interface TaskRecord {
  runId: string;
  task: FleetTask;
  position: number;
  state: TaskState;
  /** Commit the task's worktree started from. */
  baseCommit: string | null;
  /** The proven commit made in the task's worktree (a child of baseCommit). */
  provenCommit: string | null;
  /** The commit on the run branch. */
  commit: string | null;
  checks: CheckResult[] | null;
  review: ReviewComment[];
  reason: string | null;
  diff: string | null;
  attempts: number;
  /** Wall time of the last attempt, from start to its final state (for the pipeline-overhead benchmark). */
  workMs: number | null;
}

export interface TaskEvent {
  taskId: string;
  from: TaskState | null;
  to: TaskState;
  time: string;
}

type Row = Record<string, unknown>;
const json = <T>(value: unknown, fallback: T): T => (typeof value === "string" ? (JSON.parse(value) as T) : fallback);
const MAX_DIFF = 200_000;

/**
 * The durable record of runs in the project's SQLite store. Every task state change is one
 * transaction that updates the task and appends a task_events row, so after `kill -9` the journal
 * holds exactly the transitions that completed. Text is redacted before it is stored.
 */
export class RunJournal {
  constructor(private readonly db: Database.Database) {
    this.migrate();
  }

  private migrate(): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'fleet_schema_version'").get() as { value: string } | undefined;
    if (row && !READABLE_VERSIONS.has(Number(row.value))) {
      throw new StateVersionError(`the run journal was written by a newer PyAgent (fleet schema ${row.value}; this one reads ${[...READABLE_VERSIONS].join(", ")}): upgrade PyAgent`);
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS fleet_runs (
        id TEXT PRIMARY KEY, root TEXT NOT NULL, base_commit TEXT NOT NULL, base_branch TEXT, run_branch TEXT NOT NULL,
        options TEXT NOT NULL, phase TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        baseline TEXT, final_checks TEXT, merges TEXT NOT NULL DEFAULT '[]', audit_seq INTEGER NOT NULL DEFAULT 0, audit_hash TEXT NOT NULL DEFAULT '');
      CREATE TABLE IF NOT EXISTS fleet_tasks (
        run_id TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
        base_commit TEXT, proven_commit TEXT, commit_sha TEXT, checks TEXT, review TEXT NOT NULL DEFAULT '[]', reason TEXT, diff TEXT,
        attempts INTEGER NOT NULL DEFAULT 0, work_ms REAL, PRIMARY KEY (run_id, id));
      CREATE TABLE IF NOT EXISTS fleet_task_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, task_id TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, time TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS fleet_task_events_run ON fleet_task_events(run_id);
    `);
    const columns = this.db.prepare("PRAGMA table_info(fleet_tasks)").all() as Array<{ name: string }>;
    if (!columns.some((column) => column.name === "work_ms")) this.db.exec("ALTER TABLE fleet_tasks ADD COLUMN work_ms REAL"); // journals from before the column
    const runColumns = this.db.prepare("PRAGMA table_info(fleet_runs)").all() as Array<{ name: string }>;
    if (!runColumns.some((column) => column.name === "not_analyzed")) this.db.exec("ALTER TABLE fleet_runs ADD COLUMN not_analyzed TEXT NOT NULL DEFAULT '[]'");
    if (!row) this.db.prepare("INSERT INTO meta (key, value) VALUES ('fleet_schema_version', ?)").run(String(JOURNAL_SCHEMA_VERSION));
  }

  createRun(run: Omit<RunRecord, "createdAt" | "updatedAt" | "finalChecks" | "merges" | "auditSeq" | "auditHash" | "baseline" | "phase" | "notAnalyzed">): void {
    const now = new Date().toISOString();
    this.db
      .prepare("INSERT INTO fleet_runs (id, root, base_commit, base_branch, run_branch, options, phase, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'baseline', ?, ?)")
      .run(run.id, run.root, run.baseCommit, run.baseBranch, run.runBranch, JSON.stringify(redact(run.options)), now, now);
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.db.prepare("SELECT * FROM fleet_runs WHERE id = ?").get(id) as Row | undefined;
    return row ? toRun(row) : undefined;
  }

  listRuns(): RunRecord[] {
    return (this.db.prepare("SELECT * FROM fleet_runs ORDER BY created_at, id").all() as Row[]).map(toRun);
  }

  updateRun(id: string, fields: Partial<Pick<RunRecord, "phase" | "baseline" | "finalChecks" | "merges" | "options" | "notAnalyzed">>): void {
    const sets: string[] = ["updated_at = @updated"];
    const values: Row = { id, updated: new Date().toISOString() };
    if (fields.phase) (sets.push("phase = @phase"), (values.phase = fields.phase));
    if (fields.baseline !== undefined) (sets.push("baseline = @baseline"), (values.baseline = JSON.stringify(redact(fields.baseline))));
    if (fields.finalChecks !== undefined) (sets.push("final_checks = @final"), (values.final = JSON.stringify(redact(fields.finalChecks))));
    if (fields.merges !== undefined) (sets.push("merges = @merges"), (values.merges = JSON.stringify(redact(fields.merges))));
    if (fields.options !== undefined) (sets.push("options = @options"), (values.options = JSON.stringify(redact(fields.options))));
    if (fields.notAnalyzed !== undefined) (sets.push("not_analyzed = @notAnalyzed"), (values.notAnalyzed = JSON.stringify(redact(fields.notAnalyzed))));
    this.db.prepare(`UPDATE fleet_runs SET ${sets.join(", ")} WHERE id = @id`).run(values);
  }

  setAuditHead(id: string, seq: number, hash: string): void {
    this.db.prepare("UPDATE fleet_runs SET audit_seq = ?, audit_hash = ? WHERE id = ?").run(seq, hash, id);
  }

  /**
   * Records the plan: every task `planned`, in order of benefit. Idempotent for a resumed run. The
   * payload is masked by value only (a secret PyAgent was given, e.g. in a model director's
   * rationale), not by pattern: resume re-applies it, and its paths and finding messages come
   * from code.
   */
  saveTasks(runId: string, tasks: FleetTask[]): void {
    const insert = this.db.prepare("INSERT OR IGNORE INTO fleet_tasks (run_id, id, position, payload, state) VALUES (?, ?, ?, ?, 'planned')");
    const event = this.db.prepare("INSERT INTO fleet_task_events (run_id, task_id, from_state, to_state, time) VALUES (?, ?, NULL, 'planned', ?)");
    this.db.transaction(() => {
      tasks.forEach((task, position) => {
        if (insert.run(runId, task.id, position, redactKnownSecrets(JSON.stringify(task))).changes > 0) event.run(runId, task.id, new Date().toISOString());
      });
    })();
  }

  getTasks(runId: string): TaskRecord[] {
    return (this.db.prepare("SELECT * FROM fleet_tasks WHERE run_id = ? ORDER BY position").all(runId) as Row[]).map(toTask);
  }

  getEvents(runId: string): TaskEvent[] {
    const rows = this.db.prepare("SELECT task_id, from_state, to_state, time FROM fleet_task_events WHERE run_id = ? ORDER BY seq").all(runId) as Row[];
    return rows.map((row) => ({ taskId: String(row.task_id), from: (row.from_state as TaskState | null) ?? null, to: row.to_state as TaskState, time: String(row.time) }));
  }

  /** Moves a task to `to` and records the transition, atomically. */
  transition(
    runId: string,
    taskId: string,
    to: TaskState,
    fields: Partial<Pick<TaskRecord, "baseCommit" | "provenCommit" | "commit" | "checks" | "review" | "reason" | "diff" | "attempts" | "workMs">> = {},
  ): void {
    this.db.transaction(() => {
      const current = this.db.prepare("SELECT state FROM fleet_tasks WHERE run_id = ? AND id = ?").get(runId, taskId) as { state: TaskState } | undefined;
      const sets = ["state = @to"];
      const values: Row = { runId, taskId, to };
      const assign = (column: string, key: string, value: unknown) => {
        sets.push(`${column} = @${key}`);
        values[key] = value;
      };
      if (fields.baseCommit !== undefined) assign("base_commit", "baseCommit", fields.baseCommit);
      if (fields.provenCommit !== undefined) assign("proven_commit", "provenCommit", fields.provenCommit);
      if (fields.commit !== undefined) assign("commit_sha", "commit", fields.commit);
      if (fields.checks !== undefined) assign("checks", "checks", fields.checks === null ? null : JSON.stringify(redact(fields.checks)));
      if (fields.review !== undefined) assign("review", "review", JSON.stringify(redact(fields.review)));
      if (fields.reason !== undefined) assign("reason", "reason", fields.reason === null ? null : redactText(fields.reason));
      if (fields.diff !== undefined) assign("diff", "diff", fields.diff === null ? null : redactText(fields.diff).slice(0, MAX_DIFF));
      if (fields.attempts !== undefined) assign("attempts", "attempts", fields.attempts);
      if (fields.workMs !== undefined) assign("work_ms", "workMs", fields.workMs);
      this.db.prepare(`UPDATE fleet_tasks SET ${sets.join(", ")} WHERE run_id = @runId AND id = @taskId`).run(values);
      this.db
        .prepare("INSERT INTO fleet_task_events (run_id, task_id, from_state, to_state, time) VALUES (?, ?, ?, ?, ?)")
        .run(runId, taskId, current?.state ?? null, to, new Date().toISOString());
    })();
  }
}

function toRun(row: Row): RunRecord {
  return {
    id: String(row.id),
    root: String(row.root),
    baseCommit: String(row.base_commit),
    baseBranch: (row.base_branch as string | null) ?? null,
    runBranch: String(row.run_branch),
    options: json<RunOptions>(row.options, {} as RunOptions),
    phase: row.phase as RunPhase,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
    baseline: json<Baseline | null>(row.baseline, null),
    finalChecks: json<CheckResult[] | null>(row.final_checks, null),
    merges: json<MergeOutcome[]>(row.merges, []),
    auditSeq: Number(row.audit_seq),
    auditHash: String(row.audit_hash),
    notAnalyzed: json<Array<{ path: string; message: string }>>(row.not_analyzed, []),
  };
}

function toTask(row: Row): TaskRecord {
  return {
    runId: String(row.run_id),
    task: json<FleetTask>(row.payload, {} as FleetTask),
    position: Number(row.position),
    state: row.state as TaskState,
    baseCommit: (row.base_commit as string | null) ?? null,
    provenCommit: (row.proven_commit as string | null) ?? null,
    commit: (row.commit_sha as string | null) ?? null,
    checks: json<CheckResult[] | null>(row.checks, null),
    review: json<ReviewComment[]>(row.review, []),
    reason: (row.reason as string | null) ?? null,
    diff: (row.diff as string | null) ?? null,
    attempts: Number(row.attempts),
    workMs: row.work_ms === null || row.work_ms === undefined ? null : Number(row.work_ms),
  };
}

/** Opens the journal of the repository at `root` (creating the store when missing). */
export function openJournal(root: string): { store: SqliteStore; journal: RunJournal } {
  const store = SqliteStore.open(stateDirectory(root));
  try {
    return { store, journal: new RunJournal(store.db) };
  } catch (error) {
    store.close();
    throw error;
  }
}
