import { setImmediate as nextTurn } from "node:timers/promises";

/** Work on inputs past this many bytes goes through the server's TurnQueue. */
export const LARGE_INPUT_BYTES = 1 << 20;

/** Runs one heavy synchronous job in a turn of its own; resolves to its result. */
export type TurnQueue = <T>(job: () => T) => Promise<T>;

/**
 * Heavy synchronous jobs (parsing or rendering megabytes, tens of milliseconds each) one per event
 * loop turn, in arrival order: the jobs of requests that arrive together never run back to back,
 * so the engine steps that stream other requests' tokens run between them.
 */
export function createTurnQueue(): TurnQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return (job) => {
    const run = tail.then(() => nextTurn()).then(job);
    tail = run.catch(() => undefined);
    return run;
  };
}
