import type { Finding, ProjectAnalysis } from "../python/index.js";

/**
 * The contract between agents and the fleet that drives them: what an agent plans, the edits it
 * returns, and (for agents that iterate against the proof) what the fleet hands it to try
 * candidates. It lives in agents/ because the fleet depends on agents, never the reverse.
 */
/** One independent change, worked in its own worktree. */
export interface AgentTask {
  /** Stable across runs: a resumed run plans the same ids. */
  id: string;
  agent: string;
  /** Conventional-commit subject. */
  title: string;
  /** Every relative POSIX path the task may create, modify or delete. */
  files: string[];
  benefit: number;
  findings: Finding[];
  requires?: TaskRequirement;
}

/**
 * What a change must show beyond the baseline's checks:
 * - import-time-lower: importing `module` gets faster by at least `minimumMs` (interleaved
 *   measurements, a confidence bound; the saving is the moved import's own cost there), and
 *   `loaded` (the module moved into functions) is no longer loaded by importing `module`;
 * - module-split: every name `module` had stays, each moved class or function keeps its
 *   `__module__` and pickles, and its import time does not get worse.
 */
export type TaskRequirement =
  | { kind: "import-time-lower"; module: string; minimumMs?: number; loaded?: string }
  | { kind: "module-split"; module: string };

export interface FileEdit {
  path: string;
  /** null deletes the file. */
  content: string | null;
}

/** An agent as the fleet drives it. */
export interface Agent {
  name: string;
  description: string;
  /** Used only when named in `--agents`: changes that need a maintainer's discussion (or a measurement) to be accepted. */
  optIn?: boolean;
  plan(analysis: ProjectAnalysis): AgentTask[];
  apply(task: AgentTask, readFile: (path: string) => string | undefined): Promise<FileEdit[]>;
  /**
   * Agents that iterate against the proof (the LLM agents): when present, the fleet calls `work`
   * instead of `apply`, handing it `prove` to try candidate edits in the task's worktree (each try
   * is undone). The edits it returns are then reviewed, proven and committed as usual, and a
   * model review that does not approve rejects the change.
   */
  work?(task: AgentTask, context: AgentWorkContext): Promise<AgentWorkResult>;
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

export type CheckName = "compileall" | "pytest" | "unittest" | "pyright" | "import";

/** The outcome of one check in one tree. */
export interface CheckResult {
  check: CheckName;
  status: "pass" | "fail" | "timeout" | "error";
  /** Ids of what failed (test node ids, file paths, diagnostics): compared against the baseline. */
  failures: string[];
  /** One-line human summary (`12 passed`, `ok`, `2 failed, 10 passed`). */
  summary: string;
  /** Number of passed tests, for pytest and unittest. */
  passed?: number;
  /** Test ids that failed once and passed when run again (not blamed on the change). */
  flaky?: string[];
  milliseconds: number;
  /** Tail of the output, kept for failing runs only. */
  output?: string;
}

export interface ReviewComment {
  rule: "scope" | "syntax" | "public-api" | "size" | "empty" | "model" | "naming" | "risk";
  line?: number;
  path?: string;
  message: string;
}

/** The director hook of a run: re-plans the agents' candidate tasks (may drop, reorder, re-target). */
export type Director = (candidates: AgentTask[], analysis: ProjectAnalysis, goal: string | null) => Promise<AgentTask[]>;
