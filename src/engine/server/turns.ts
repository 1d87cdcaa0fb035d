import { setImmediate as nextTurn } from "node:timers/promises";

/** Bodies past this many bytes are parsed on the JSON thread, and chats past it rendered through the TurnQueue. */
export const LARGE_INPUT_BYTES = 1 << 20;

/** Runs one heavy synchronous job in a turn of its own; resolves to its result. */
export type TurnQueue = <T>(job: () => T) => Promise<T>;

/**
 * Heavy synchronous jobs (rendering a chat of megabytes, tens of milliseconds each) one per event
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
