export type {
  Agent as FleetAgent,
  AgentTask as FleetTask,
  AgentWorkContext,
  AgentWorkResult,
  CheckName,
  CheckResult,
  Director,
  FileEdit,
  ModelReview,
  ReviewComment,
  TrialResult,
} from "../agents/index.js";
import type { CheckName, CheckResult } from "../agents/index.js";

/** Task states; every transition is journaled. `planned → running → proven|failed|rejected|skipped → committed`. */
export type TaskState = "planned" | "running" | "proven" | "failed" | "rejected" | "skipped" | "committed";

/** What the baseline decided the run proves changes with. */
export interface Baseline {
  commit: string;
  python: string;
  checks: CheckResult[];
  /** Checks that are configured but cannot run here, with the reason (e.g. pyright not installed). */
  unavailable: Array<{ check: CheckName; reason: string }>;
  /**
   * The project's test command and every test id that passed at baseline; null when the project
   * has no tests. Absent (undefined) in baselines recorded before tests were counted by id: such a
   * run cannot be resumed or merged (see `requireCountedTests`).
   */
  tests?: TestBaseline | null;
  /** Why the project's tests cannot prove changes at this commit (collection errors, nothing passes); null when they can. */
  unproven?: string | null;
}

/** How the project runs its tests, as found in its files (or `[tool.pyagent] test-command`). */
export interface TestCommand {
  runner: "pytest" | "unittest";
  /** Arguments after `python -m pytest` / `python -m unittest`, options that write outside the tree or stop early removed. */
  args: string[];
  /** Where the command was found and why it was chosen (`tox.ini [testenv] commands`). */
  source: string;
  /** Folders of the tree put first on PYTHONPATH (`src` for a src layout). */
  pythonPath: string[];
  /** What was adjusted, for the chosen-command line (`dropped --cov=boltons`, `src on PYTHONPATH: ...`). */
  notes: string[];
}

/**
 * The tests at baseline, by node id: a change must keep every id in `succeeded` passing. (Not
 * named `passing`: the journal's redaction masks keys that look like "pass…words".)
 */
export interface TestBaseline {
  command: TestCommand;
  /** Ids that passed in every baseline run (sorted). */
  succeeded: string[];
  /** Ids whose outcome differed between the baseline runs: reported, never blamed on a change. */
  flaky: string[];
  /** Tests the command ran (any outcome). */
  collected: number;
}

/** Progress events of a run (noun-verb, as the dashboard will consume them). */
export type RunEvent =
  | { type: "run-start"; runId: string; resumed: boolean; sandbox?: string }
  | { type: "baseline-end"; baseline: Baseline }
  | { type: "plan-end"; tasks: number; notAnalyzed: Array<{ path: string; message: string }> }
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
