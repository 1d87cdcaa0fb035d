import type { Finding, ProjectAnalysis } from "../../python/index.js";

export type DeterministicAgentName = "unused-imports" | "unused-variables" | "dead-code" | "lazy-imports" | "split-module";

export const DETERMINISTIC_AGENT_NAMES: readonly DeterministicAgentName[] = [
  "unused-imports",
  "unused-variables",
  "dead-code",
  "lazy-imports",
  "split-module",
];

/** One independent change the fleet runs in its own worktree. */
export interface PlannedTask {
  /** Stable: hash of agent + files + finding keys, so a resumed run plans the same ids. */
  id: string;
  agent: DeterministicAgentName;
  /** Conventional-commit subject, e.g. "refactor(pkg.core): remove unused imports". */
  title: string;
  /** Every path (relative, POSIX) the task may create, modify or delete. */
  files: string[];
  /** Expected benefit, for ordering (higher first). */
  benefit: number;
  /** What it fixes. */
  findings: Finding[];
  /** The one name a per-name task is about (lazy-imports: the imported name to move); absent for per-file tasks. */
  symbol?: string;
  /** Names other modules import from the task's module by name; split-module re-exports them (all names when absent). */
  keepNames?: string[];
  /** An extra proof this change needs beyond "no new failures", e.g. lazy-imports must lower import time of `module`. */
  requires?: { kind: "import-time-lower"; module: string };
}

/** A whole-file result of a task: the new content, or null to delete the file. */
export interface FileEdit {
  path: string;
  content: string | null;
}

export interface DeterministicAgent {
  name: DeterministicAgentName;
  description: string;
  plan(analysis: ProjectAnalysis): PlannedTask[];
  /** Computes the edits against the CURRENT file contents (read through `readFile`, relative paths); [] when nothing to do any more. */
  apply(task: PlannedTask, readFile: (path: string) => string | undefined): Promise<FileEdit[]>;
}
