import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { pythonAddon } from "../parse/native-parser.js";
import type { FileAnalysis } from "../types.js";
import { analyzerFailed } from "./parse-file.js";
import { readWorkItem, type ReadItem, type WorkItem } from "./work-item.js";
import type { WorkerInput, WorkerMessage, WorkOrder } from "./thread-protocol.js";

/** Below this many files, starting threads costs more than it saves. */
const IN_PROCESS_LIMIT = 24;
/** A batch is closed once it holds this many bytes of source or this many files. */
const BATCH_BYTES = 64 * 1024;
const BATCH_FILES = 16;

/**
 * Parser threads when none are asked for: one per core, less one with the native parser (the main
 * thread, which runs the analyzers, is then the busiest, and the parse fits in one core fewer:
 * on two cores, one parser thread measured 2.32 s and 4.1 CPU-s for the stdlib against 2.39 s and
 * 4.3 with two), none on a single core (the files are analyzed in process).
 */
export function defaultParserThreads(): number {
  const cores = availableParallelism();
  if (cores <= 1) return 0;
  return pythonAddon() !== null ? cores - 1 : cores;
}

/** A file's outcome: its analysis, or that its content is the stored one's, or why it could not be read. */
export type PoolResult = FileAnalysis | Exclude<ReadItem, { state: "read" }>;

interface ParserThread {
  worker: Worker;
  /** Resolves once the thread has been sent the compiled parser (its first message). */
  initialized: Promise<void>;
  /** Resolves with why the thread failed or ended before saying "done" (whenever that happens, before or during a run). */
  failed: Promise<Error>;
  /** Called when the thread has said "done": its exit is then expected. */
  finish(): void;
}

/** Threads started ahead of the work (see prestartParserThreads), not yet used by a run. */
let idleThreads: ParserThread[] = [];

/**
 * Starts `count` parser threads now, so that their start-up (a Node environment, web-tree-sitter,
 * the grammar's wasm: ~70 ms) overlaps the caller's own module loading and file discovery. The next
 * `analyzeInParallel` uses them. They do not keep the process alive; `stopIdleParserThreads` ends
 * any that no run took (a run with little or nothing to parse).
 */
export function prestartParserThreads(count: number): void {
  while (idleThreads.length < count) {
    const thread = startThread();
    thread.worker.unref();
    idleThreads.push(thread);
  }
}

/** Threads started ahead and not yet taken by a run. */
export function idleParserThreadCount(): number {
  return idleThreads.length;
}

export function stopIdleParserThreads(): void {
  for (const thread of idleThreads) void thread.worker.terminate();
  idleThreads = [];
}

/**
 * Analyzes files with `threads` parser threads (each with its own tree-sitter parser; with 0 the
 * files are parsed here) that read, hash, decode and parse files into flat trees; the analyzers run
 * here, on the main thread, over the transferred flat trees (see worker.ts for why). Files go out largest first, in batches
 * of about BATCH_BYTES, so the run ends on a few small files and no thread is left finishing a
 * large one while the others wait. Results come back in `items` order.
 */
export async function analyzeInParallel(
  items: WorkItem[],
  threads: number,
  onProgress: (done: number, batch: PoolResult[]) => void = () => {},
): Promise<PoolResult[]> {
  if (items.length === 0) return [];
  if (threads < 1 || items.length <= IN_PROCESS_LIMIT) return analyzeInProcess(items, onProgress);

  const batches = largestFirstBatches(items);
  const workerCount = Math.min(threads, batches.length);
  const taken = idleThreads.splice(0, workerCount);
  stopIdleParserThreads();
  while (taken.length < workerCount) taken.push(startThread());

  // The analyzers run here, over the trees the threads send; loading them overlaps the threads' work.
  const analyzers = Promise.all([import("../parse/flat-parser.js"), import("../parse/flat-tree.js"), import("./analyze-file.js")]).then(
    async ([{ analysisLanguage }, { FlatTree }, { analyzeFlatTree }]) => ({ language: await analysisLanguage(), FlatTree, analyzeFlatTree }),
  );
  const byPath = new Map<string, PoolResult>();
  // Batches are analyzed one after another, in the order they arrive.
  let analyzed: Promise<unknown> = analyzers;
  const order: WorkOrder = { batches, counters: new SharedArrayBuffer(4) };
  const runThread = (thread: ParserThread) =>
    new Promise<void>((resolve, reject) => {
      const { worker } = thread;
      worker.ref();
      void thread.failed.then(reject);
      worker.on("message", (message: WorkerMessage) => {
        if (message === "done") {
          thread.finish();
          void worker.terminate().then(() => resolve());
          return;
        }
        analyzed = analyzed.then(() =>
          analyzers.then(({ language, FlatTree, analyzeFlatTree }) => {
            const results = message.map((parsed): PoolResult => {
              if (parsed.state !== "parsed") return parsed;
              try {
                return analyzeFlatTree(parsed.path, parsed.hash, FlatTree.fromTransfer(language, parsed.tree));
              } catch (error) {
                return analyzerFailed(parsed.path, parsed.hash, error);
              }
            });
            for (const result of results) byPath.set(result.path, result);
            onProgress(byPath.size, results);
          }),
        );
      });
      void thread.initialized.then(() => worker.postMessage(order), reject);
    });
  await Promise.all(taken.map(runThread));
  await analyzed;
  return items.map((item) => byPath.get(item.path)!);
}

async function analyzeInProcess(items: WorkItem[], onProgress: (done: number, batch: PoolResult[]) => void): Promise<PoolResult[]> {
  stopIdleParserThreads();
  // Loaded here, not at the top: when threads do the parsing, the main thread never needs the parser.
  const [{ createFlatParser }, { analyzeFile }] = await Promise.all([import("../parse/flat-parser.js"), import("./analyze-file.js")]);
  const parser = await createFlatParser();
  const results: PoolResult[] = [];
  for (const item of items) {
    const read = readWorkItem(item);
    let result: PoolResult;
    if (read.state !== "read") {
      result = read;
    } else {
      try {
        result = analyzeFile(parser, item.path, read.bytes, read.hash);
      } catch (error) {
        result = analyzerFailed(item.path, read.hash, error);
      }
    }
    results.push(result);
    onProgress(results.length, [result]);
  }
  parser.delete();
  return results;
}

/** `items` by descending size, cut into batches of about BATCH_BYTES (a large file is a batch alone). */
export function largestFirstBatches(items: WorkItem[]): WorkItem[][] {
  const ordered = items.slice().sort((a, b) => b.size - a.size);
  const batches: WorkItem[][] = [];
  let batch: WorkItem[] = [];
  let bytes = 0;
  for (const item of ordered) {
    batch.push(item);
    bytes += item.size;
    if (bytes >= BATCH_BYTES || batch.length >= BATCH_FILES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** A parser thread, sent the parser's wasm modules as compiled here (one compilation for all threads). */
function startThread(): ParserThread {
  const runningFromSource = import.meta.url.endsWith(".ts");
  const url = new URL(runningFromSource ? "./worker.ts" : "./worker.js", import.meta.url);
  const worker = new Worker(url, runningFromSource ? { execArgv: ["--import", "tsx"] } : {});
  // With the native parser a thread needs no wasm; else the modules compiled here, once for every thread.
  const initialized = (pythonAddon() !== null ? Promise.resolve(null) : import("../parse/parser.js").then(({ compilePythonWasm }) => compilePythonWasm()))
    .then((wasm) => worker.postMessage({ wasm } satisfies WorkerInput));
  // A failure here is the run's to report (runThread), not an unhandled rejection in between.
  initialized.catch(() => {});
  let finished = false;
  // Listening from the start: a thread started ahead may fail before any run takes it.
  const failed = new Promise<Error>((resolve) => {
    worker.on("error", resolve);
    worker.once("exit", (code) => {
      if (!finished) resolve(new Error(`parser thread exited with code ${code} before its work was done`));
    });
  });
  const finish = () => {
    finished = true;
  };
  return { worker, initialized, failed, finish };
}
