import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { processStartTime } from "./lock.js";
import { stateDirectory } from "./worktrees.js";

/**
 * The process groups of a run's live checks, one line each (`pgid start-time`), in
 * `.pyagent/runs/<run-id>.pgids`. A kill -9 of PyAgent leaves an unsandboxed check (and whatever it
 * started) running in its own group; the resuming process ends those groups before it removes the
 * worktrees they run in. (A bubblewrap sandbox also dies with PyAgent: --die-with-parent.)
 */
export function processGroupsPath(root: string, runId: string): string {
  return join(stateDirectory(root), "runs", `${runId}.pgids`);
}

export interface ProcessGroupLog {
  started(processGroup: number): void;
  ended(processGroup: number): void;
}

/** Records live groups in `path` (written through, so a kill at any moment leaves the file right). */
export function processGroupLog(path: string): ProcessGroupLog {
  const live = new Map<number, string>();
  const rewrite = () => {
    if (live.size === 0) rmSync(path, { force: true });
    else writeFileSync(path, [...live].map(([group, start]) => `${group} ${start}\n`).join(""));
  };
  return {
    started(processGroup) {
      const start = processStartTime(processGroup) ?? "-";
      live.set(processGroup, start);
      mkdirSync(dirname(path), { recursive: true });
      appendFileSync(path, `${processGroup} ${start}\n`);
    },
    ended(processGroup) {
      if (live.delete(processGroup)) rewrite();
    },
  };
}

/**
 * Ends the groups a dead run left (SIGKILL to each group) and removes the file; returns how many
 * were signalled. A group is ours when its leader is gone (Linux does not reuse a pid while a
 * process group of that id exists, so the members left are the check's) or still has the start
 * time recorded; a leader with another start time is an unrelated process that got the pid.
 * Without /proc (start time "-") nothing can be verified and nothing is signalled.
 */
export function endRecordedGroups(path: string): number {
  if (!existsSync(path)) return 0;
  let ended = 0;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^(\d+) (\d+)$/.exec(line.trim());
    if (!match) continue;
    const group = Number(match[1]);
    if (group <= 1 || group === process.pid) continue;
    const start = processStartTime(group);
    if (start !== null && start !== match[2]) continue;
    try {
      process.kill(-group, "SIGKILL");
      ended++;
    } catch {
      // the group is gone
    }
  }
  rmSync(path, { force: true });
  return ended;
}
