import type { Finding, ProjectAnalysis } from "../../python/index.js";

/*
 * The contract between the LLM agents and the fleet that drives them, restated structurally here
 * (agents/ may not import fleet/; the fleet's FleetAgent and its `work` hook have this shape).
 */

export interface AgentTask {
  id: string;
  agent: string;
  title: string;
  files: string[];
  benefit: number;
  findings: Finding[];
  requires?: { kind: "import-time-lower"; module: string };
}

export interface FileEdit {
  path: string;
  content: string | null;
}

export interface CheckOutcome {
  check: "compileall" | "pytest" | "pyright" | "import";
  status: "pass" | "fail" | "timeout" | "error";
  failures: string[];
  summary: string;
  passed?: number;
  milliseconds: number;
  output?: string;
}

export interface TrialResult {
  proven: boolean;
  reason: string;
  output: string;
  diff: string;
  checks: CheckOutcome[];
}

export interface AgentWorkContext {
  read(path: string): string | undefined;
  prove(edits: FileEdit[]): Promise<TrialResult>;
  signal?: AbortSignal;
}

export interface ReviewNote {
  rule: "model";
  path?: string;
  line?: number;
  message: string;
}

export interface ModelReview {
  approve: boolean;
  summary: string;
  comments: ReviewNote[];
}

export type AgentWorkResult =
  | { state: "edits"; edits: FileEdit[]; review?: ModelReview }
  | { state: "skipped"; reason: string }
  | { state: "failed"; reason: string; output: string; diff?: string; checks?: CheckOutcome[] };

/** An agent as the fleet drives it: plans from the analysis, then works each task against the proof. */
export interface WorkingAgent {
  name: string;
  description: string;
  plan(analysis: ProjectAnalysis): AgentTask[];
  apply(task: AgentTask, readFile: (path: string) => string | undefined): Promise<FileEdit[]>;
  work(task: AgentTask, context: AgentWorkContext): Promise<AgentWorkResult>;
}

/** The director hook of a run: re-plans the agents' candidate tasks. */
export type Director = (candidates: AgentTask[], analysis: ProjectAnalysis, goal: string | null) => Promise<AgentTask[]>;
