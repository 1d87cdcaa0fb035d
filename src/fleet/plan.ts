import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../core/index.js";
import { analyzeProject, type ProjectAnalysis } from "../python/index.js";
import { UsageError } from "../core/index.js";
import { runProcess } from "./process.js";
import { GitError } from "./errors.js";
import type { FleetAgent, FleetTask } from "./types.js";

/**
 * Picks the agents named by `--agents`, refusing unknown names; when none are named, every agent
 * that is not opt-in (the changes a maintainer accepts without discussion).
 */
export function selectAgents(available: FleetAgent[], names: string[] | undefined): FleetAgent[] {
  if (!names || names.length === 0) return available.filter((agent) => !agent.optIn);
  const known = new Map(available.map((agent) => [agent.name, agent]));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new UsageError(`unknown agent${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} in --agents (known: ${[...known.keys()].join(", ")})`);
  return names.map((name) => known.get(name)!);
}

/** The Director, deterministic: every agent's tasks, highest expected benefit first (ties: agent order, then id). */
export function planTasks(agents: FleetAgent[], analysis: ProjectAnalysis): FleetTask[] {
  const seen = new Set<string>();
  const tasks: Array<FleetTask & { order: number }> = [];
  agents.forEach((agent, order) => {
    for (const task of agent.plan(analysis)) {
      if (seen.has(task.id)) continue;
      seen.add(task.id);
      tasks.push({ ...task, order });
    }
  });
  tasks.sort((a, b) => b.benefit - a.benefit || a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return tasks.map(({ order: _order, ...task }) => task);
}

/** Analyzes a tree with the project's own `[tool.pyagent]` configuration. */
export function analyzeTree(tree: string): Promise<ProjectAnalysis> {
  return analyzeProject(tree, { config: loadConfig(tree) });
}

/**
 * Analyzes `commit` in a temporary export outside the repository (`git archive`) and hands the
 * analysis to `use` while the export exists (agents read files under `analysis.root` to plan), so
 * a dry run reads the repository and writes nothing in it, not even a worktree entry.
 */
export async function withCommitAnalysis<T>(root: string, commit: string, use: (analysis: ProjectAnalysis) => T): Promise<T> {
  const scratch = mkdtempSync(join(tmpdir(), "pyagent-plan-"));
  try {
    const archive = await runProcess("sh", ["-c", 'git archive --format=tar "$1" | tar -x -C "$2"', "sh", commit, scratch], { cwd: root });
    if (archive.code !== 0) throw new GitError(["archive", commit], archive.stderr, archive.code, root);
    return use(await analyzeTree(scratch));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
