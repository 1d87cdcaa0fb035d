import { Worker } from "node:worker_threads";

export type ParsedJson = { ok: true; value: unknown } | { ok: false };

export interface JsonThread {
  /** Decodes (UTF-8, a BOM kept) and parses `bytes` on the thread; the bytes are moved there. */
  parse(bytes: Uint8Array): Promise<ParsedJson>;
  /** Stops the thread; parses still waiting reject. */
  close(): Promise<void>;
}

/**
 * The thread's code: decode (UTF-8, a BOM kept, as Buffer.toString does) and parse each body, in
 * order. Plain JavaScript evaluated as is, so it runs the same from the sources and from dist/.
 */
const THREAD_SOURCE = `
const { parentPort } = require("node:worker_threads");
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
parentPort.on("message", ({ id, bytes }) => {
  let value;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    parentPort.postMessage({ id, ok: false });
    return;
  }
  parentPort.postMessage({ id, ok: true, value });
});
`;

interface Job {
  resolve: (parsed: ParsedJson) => void;
  reject: (error: Error) => void;
}

/**
 * Parses large request bodies on a thread of its own: JSON.parse of an 8 MB body holds its thread
 * for 25-50 ms, which on the event loop would stall every other request's stream. One thread,
 * started on first use and not keeping the process alive; jobs run in order.
 */
export function createJsonThread(): JsonThread {
  let worker: Worker | null = null;
  let nextId = 0;
  const jobs = new Map<number, Job>();

  const failAll = (error: Error) => {
    for (const job of jobs.values()) job.reject(error);
    jobs.clear();
    worker = null;
  };

  function start(): Worker {
    const started = new Worker(THREAD_SOURCE, { eval: true, execArgv: [] });
    started.unref();
    started.on("message", ({ id, ok, value }: { id: number; ok: boolean; value?: unknown }) => {
      const job = jobs.get(id);
      jobs.delete(id);
      job?.resolve(ok ? { ok: true, value } : { ok: false });
    });
    started.on("error", failAll);
    started.on("exit", (code) => failAll(new Error(`the JSON parsing thread exited with code ${code}`)));
    return started;
  }

  return {
    parse(bytes) {
      worker ??= start();
      // Move, not copy: a buffer of its own (Buffer.concat of megabytes is one).
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      const id = nextId++;
      const thread = worker;
      return new Promise((resolve, reject) => {
        jobs.set(id, { resolve, reject });
        thread.postMessage({ id, bytes: owned }, [owned.buffer as ArrayBuffer]);
      });
    },
    async close() {
      const stopping = worker;
      worker = null;
      if (stopping) await stopping.terminate();
    },
  };
}
