import type { ProjectAnalysis } from "../../python/index.js";
import type { AgentTask, FileEdit } from "../contract.js";

export type DeterministicAgentName = "unused-imports" | "unused-variables" | "dead-code" | "lazy-imports" | "split-module";

export const DETERMINISTIC_AGENT_NAMES: readonly DeterministicAgentName[] = [
  "unused-imports",
  "unused-variables",
  "dead-code",
  "lazy-imports",
  "split-module",
];

/** One independent change the fleet runs in its own worktree (ids stable: hash of agent + files + finding keys). */
export interface PlannedTask extends AgentTask {
  agent: DeterministicAgentName;
  /** The one name a per-name task is about (lazy-imports: the imported name to move); absent for per-file tasks. */
  symbol?: string;
  /** Names other modules import from the task's module by name; split-module re-exports them (all names when absent). */
  keepNames?: string[];
}

export type { FileEdit };

export interface DeterministicAgent {
  name: DeterministicAgentName;
  description: string;
  /** Runs only when named in `--agents` (see the fleet's `selectAgents`). */
  optIn?: boolean;
  plan(analysis: ProjectAnalysis): PlannedTask[];
  /** Computes the edits against the CURRENT file contents (read through `readFile`, relative paths); [] when nothing to do any more. */
  apply(task: PlannedTask, readFile: (path: string) => string | undefined): Promise<FileEdit[]>;
}
