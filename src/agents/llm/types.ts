import type { Agent, AgentWorkContext, AgentWorkResult } from "../contract.js";

export type {
  AgentTask,
  AgentWorkContext,
  AgentWorkResult,
  CheckResult as CheckOutcome,
  Director,
  FileEdit,
  ModelReview,
  ReviewComment as ReviewNote,
  TrialResult,
} from "../contract.js";

/** An LLM agent: plans from the analysis, then works each task against the proof. */
export interface WorkingAgent extends Agent {
  work(task: Parameters<Agent["apply"]>[0], context: AgentWorkContext): Promise<AgentWorkResult>;
}
