import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { RepositoryBusyError, RunBusyError, RunInterruptedError } from "./errors.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Claims a run for this process with a pid file. A lock whose process is gone (kill -9) is stale
 * and taken over; a live one refuses, so two processes never drive one run.
 */
export function claimRun(path: string): () => void {
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, String(process.pid), { flag: "wx" });
  } catch {
    const holder = Number(readFileSync(path, "utf8").trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new RunBusyError(`the run is being driven by process ${holder}; wait for it or stop it first`, { pid: holder });
    }
    writeFileSync(path, String(process.pid));
  }
  return () => rmSync(path, { force: true });
}

/** The live process driving the run whose lock is at `path`, if any (a stale lock counts as none). */
export function runHolder(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const holder = Number(readFileSync(path, "utf8").trim());
  return Number.isInteger(holder) && holder > 0 && alive(holder) ? holder : undefined;
}

/** `PATH/.pyagent/repo.lock`: held by the one PyAgent process that may change the repository's branches. */
export function repositoryLockPath(stateDirectory: string): string {
  return join(stateDirectory, "repo.lock");
}

const HolderSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  /** Linux: field 22 of /proc/<pid>/stat (clock ticks since boot); null where there is no /proc. */
  startTime: z.string().nullable(),
  /** Linux: /proc/sys/kernel/random/boot_id; a start time means something only within one boot. */
  bootId: z.string().nullable(),
  command: z.string(),
  since: z.string(),
});
export type LockHolder = z.infer<typeof HolderSchema>;

function readProc(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

/** When `pid` started, as the kernel counts it; null when unknown (no /proc, or no such process). */
export function processStartTime(pid: number): string | null {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return null;
  // The command name (field 2) is in parentheses and may itself hold spaces and ')': fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[22 - 3] ?? null; // fields[0] is field 3 (state)
}

function currentHolder(command: string): LockHolder {
  return { pid: process.pid, host: hostname(), startTime: processStartTime(process.pid), bootId: readProc("/proc/sys/kernel/random/boot_id"), command, since: new Date().toISOString() };
}

/**
 * Whether the process a lock names still runs. Same host only: a pid that is gone, a different
 * boot, or the same pid with another start time (the pid was reused by an unrelated process) all
 * mean the holder died without releasing. Where start times are unknown, a live pid counts as the holder.
 */
function holderRuns(holder: LockHolder): boolean {
  if (!alive(holder.pid)) return false;
  const bootId = readProc("/proc/sys/kernel/random/boot_id");
  if (holder.bootId && bootId && holder.bootId !== bootId) return false;
  const startTime = processStartTime(holder.pid);
  if (holder.startTime && startTime && holder.startTime !== startTime) return false;
  return true;
}

function describeHolder(holder: LockHolder): string {
  return `process ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since})`;
}

type Attempt = { state: "claimed"; release: () => void } | { state: "held"; holder: LockHolder } | { state: "foreign"; holder: LockHolder } | { state: "unreadable"; text: string };

/**
 * One try at the lock. The file is written whole under a temporary name and hard-linked into
 * place (link fails when the name exists), so a reader never sees a half-written lock. A stale
 * lock is moved aside before it is removed, and only if it is still the one judged stale: two
 * processes that both found it stale cannot both remove a fresh lock.
 */
function tryClaim(path: string, command: string): Attempt {
  const mine = JSON.stringify(currentHolder(command));
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(temporary, `${mine}\n`);
  try {
    linkSync(temporary, path);
    return { state: "claimed", release: () => releaseIfMine(path, `${mine}\n`) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return tryClaim(path, command); // released between our link and read
  }
  const parsed = safeHolder(text);
  if (!parsed) return { state: "unreadable", text };
  if (parsed.host !== hostname()) return { state: "foreign", holder: parsed };
  if (holderRuns(parsed)) return { state: "held", holder: parsed };
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch {
    return tryClaim(path, command);
  }
  if (readFileSync(aside, "utf8") !== text) {
    // Another process took the stale lock over between our read and rename: put its lock back.
    try {
      linkSync(aside, path);
    } catch {
      /* a third process holds it now; the loop sees that */
    }
  }
  unlinkSync(aside);
  return tryClaim(path, command);
}

function safeHolder(text: string): LockHolder | undefined {
  try {
    const result = HolderSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

function releaseIfMine(path: string, mine: string): void {
  try {
    if (readFileSync(path, "utf8") === mine) unlinkSync(path);
  } catch {
    /* already gone (removed by hand): nothing to release */
  }
}

export interface RepositoryLockOptions {
  /** Wait this long for the holder to finish (Infinity: no limit); 0 (default) refuses at once. */
  waitMs?: number;
  signal?: AbortSignal;
  /** Told once when the lock is held by someone else and this process starts waiting. */
  onWait?: (message: string) => void;
}

const POLL_MS = 250;

/**
 * Claims the repository for one PyAgent process that changes its branches (`improve`, `merge`):
 * two runs at once would each land and merge the same fixes. Refuses (or waits, with `waitMs`)
 * while a live process holds it; a lock whose holder died is taken over. Returns the release.
 */
export async function claimRepository(stateDirectory: string, command: string, options: RepositoryLockOptions = {}): Promise<() => void> {
  const path = repositoryLockPath(stateDirectory);
  mkdirSync(stateDirectory, { recursive: true });
  const deadline = Date.now() + (options.waitMs ?? 0);
  let told = false;
  for (;;) {
    const attempt = tryClaim(path, command);
    if (attempt.state === "claimed") return attempt.release;
    if (attempt.state === "foreign") {
      throw new RepositoryBusyError(
        `the repository is locked by ${describeHolder(attempt.holder)}, another machine: PyAgent cannot tell whether it still runs; if it does not, delete ${path}`,
        { lock: path, pid: attempt.holder.pid, host: attempt.holder.host },
      );
    }
    if (attempt.state === "unreadable") {
      throw new RepositoryBusyError(`the repository lock ${path} is not a lock PyAgent wrote (${JSON.stringify(attempt.text.slice(0, 80))}); if no PyAgent runs on this repository, delete it`, { lock: path });
    }
    const message = `another PyAgent process works on this repository: ${describeHolder(attempt.holder)} holds ${path}`;
    if (options.signal?.aborted) throw new RunInterruptedError(`interrupted while waiting for ${describeHolder(attempt.holder)} to release ${path}`, { lock: path });
    if (Date.now() >= deadline) {
      const waited = options.waitMs ? ` (still held after waiting ${Math.round(options.waitMs / 1000)} s)` : "";
      throw new RepositoryBusyError(`${message}${waited}; wait for it to finish (or pass --wait), or stop it first`, { lock: path, pid: attempt.holder.pid, host: attempt.holder.host });
    }
    if (!told) options.onWait?.(`${message}; waiting for it`);
    told = true;
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())), undefined, { signal: options.signal }).catch(() => {});
  }
}
