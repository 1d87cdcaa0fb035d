import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { RunBusyError } from "./errors.js";

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
