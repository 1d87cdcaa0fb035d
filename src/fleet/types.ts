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
}

/** Progress events of a run (noun-verb, as the dashboard will consume them). */
export type RunEvent =
  | { type: "run-start"; runId: string; resumed: boolean; sandbox?: string }
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
