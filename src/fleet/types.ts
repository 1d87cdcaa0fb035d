import type { Finding, ProjectAnalysis } from "../python/index.js";

/**
 * The agent interface the fleet drives (the contract of src/agents/deterministic, restated
 * structurally so the fleet depends on the shape, not on one implementation).
 */
export interface FleetTask {
  /** Stable across runs: a resumed run plans the same ids. */
  id: string;
  agent: string;
  /** Conventional-commit subject. */
  title: string;
  /** Every relative POSIX path the task may create, modify or delete. */
  files: string[];
  benefit: number;
  findings: Finding[];
  requires?: { kind: "import-time-lower"; module: string };
}

export interface FileEdit {
  path: string;
  /** null deletes the file. */
  content: string | null;
}

export interface FleetAgent {
  name: string;
  description: string;
  plan(analysis: ProjectAnalysis): FleetTask[];
  apply(task: FleetTask, readFile: (path: string) => string | undefined): Promise<FileEdit[]>;
  /**
   * Agents that iterate against the proof (the LLM agents): when present, the fleet calls `work`
   * instead of `apply`, handing it `prove` to try candidate edits in the task's worktree (each try
   * is undone). The edits it returns are then reviewed, proven and committed as usual, and a
   * model review that does not approve rejects the change.
   */
  work?(task: FleetTask, context: AgentWorkContext): Promise<AgentWorkResult>;
}

/** What `prove` found for one candidate: the rule review and the baseline's checks. */
export interface TrialResult {
  proven: boolean;
  /** Why not, in one line (rule review or the checks' new failures). */
  reason: string;
  /** The failing check's output, for a retry prompt. */
  output: string;
  diff: string;
  checks: CheckResult[];
}

export interface AgentWorkContext {
  read(path: string): string | undefined;
  prove(edits: FileEdit[]): Promise<TrialResult>;
  signal?: AbortSignal;
}

/** A model reviewer's verdict on a proven diff. */
export interface ModelReview {
  approve: boolean;
  summary: string;
  comments: ReviewComment[];
}

export type AgentWorkResult =
  | { state: "edits"; edits: FileEdit[]; review?: ModelReview }
  | { state: "skipped"; reason: string }
  | { state: "failed"; reason: string; output: string; diff?: string; checks?: CheckResult[] };

/** Task states; every transition is journaled. `planned → running → proven|failed|rejected|skipped → committed`. */
export type TaskState = "planned" | "running" | "proven" | "failed" | "rejected" | "skipped" | "committed";

export type CheckName = "compileall" | "pytest" | "pyright" | "import";

/** The outcome of one check in one tree. */
export interface CheckResult {
  check: CheckName;
  status: "pass" | "fail" | "timeout" | "error";
  /** Ids of what failed (test node ids, file paths, diagnostics): compared against the baseline. */
  failures: string[];
  /** One-line human summary (`12 passed`, `ok`, `2 failed, 10 passed`). */
  summary: string;
  /** Number of passed tests, for pytest. */
  passed?: number;
  milliseconds: number;
  /** Tail of the output, kept for failing runs only. */
  output?: string;
}

/** What the baseline decided the run proves changes with. */
export interface Baseline {
  commit: string;
  python: string;
  checks: CheckResult[];
  /** Checks that are configured but cannot run here, with the reason (e.g. pyright not installed). */
  unavailable: Array<{ check: CheckName; reason: string }>;
}

export interface ReviewComment {
  rule: "scope" | "syntax" | "public-api" | "size" | "empty" | "model";
  line?: number;
  path?: string;
  message: string;
}

/** Progress events of a run (noun-verb, as the dashboard will consume them). */
export type RunEvent =
  | { type: "run-start"; runId: string; resumed: boolean }
  | { type: "baseline-end"; baseline: Baseline }
  | { type: "plan-end"; tasks: number }
  | { type: "task-start"; taskId: string; title: string }
  | { type: "task-end"; taskId: string; title: string; state: TaskState; reason?: string }
  | { type: "merge-end"; outcome: MergeOutcome }
  | { type: "run-end"; counts: Record<TaskState, number> };

export type MergeOutcome =
  | { state: "merged"; branch: string; commit: string; fastForward: boolean; workingTreeUpdated: boolean }
  | { state: "up-to-date"; branch: string }
  | { state: "conflict"; branch: string; files: string[] }
  | { state: "checks-failed"; branch: string; reason: string }
  | { state: "blocked"; branch: string | null; reason: string };
