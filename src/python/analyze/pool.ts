import { Worker } from "node:worker_threads";
import type { FileAnalysis } from "../types.js";
import type { ParsedTransfer, WorkItem } from "./worker.js";

/** Below this many files, starting threads costs more than it saves. */
const IN_PROCESS_LIMIT = 24;
/** A batch is closed once it holds this many bytes of source or this many files. */
const BATCH_BYTES = 64 * 1024;
const BATCH_FILES = 16;

/**
 * Analyzes files with `threads` parser threads (each with its own tree-sitter parser) that decode,
 * parse and copy each tree out of wasm; the analyzers run here, on the main thread, over the
 * transferred flat trees (see worker.ts for why). Files go out largest first, in batches of about
 * BATCH_BYTES, so the run ends on a few small files and no thread is left finishing a large one
 * while the others wait. Results come back in `items` order.
 */
export async function analyzeInParallel(
  items: WorkItem[],
  threads: number,
  onProgress: (done: number, batch: FileAnalysis[]) => void = () => {},
): Promise<FileAnalysis[]> {
  if (items.length === 0) return [];
  if (threads <= 1 || items.length <= IN_PROCESS_LIMIT) {
    // Loaded here, not at the top: when threads do the parsing, the main thread never needs the
    // parser or the analyzers (~25 ms of module loading saved on every threaded run).
    const [{ createPythonParser }, { analyzeFile }] = await Promise.all([import("../parse/parser.js"), import("./analyze-file.js")]);
    const parser = await createPythonParser();
    const results: FileAnalysis[] = [];
    for (const item of items) {
      let result: FileAnalysis;
      try {
        result = analyzeFile(parser, item.path, item.bytes, item.hash);
      } catch (error) {
        result = { state: "error", path: item.path, hash: item.hash, message: `analyzer failed: ${(error as Error).message}` };
      }
      results.push(result);
      onProgress(results.length, [result]);
    }
    parser.delete();
    return results;
  }

  const byPath = new Map<string, FileAnalysis>();
  const batches = largestFirstBatches(items);
  let next = 0;
  const workerCount = Math.min(threads, batches.length);
  // The analyzers run here, on the main thread, over the trees the threads send (see worker.ts);
  // loading them overlaps the threads' start-up.
  const analyzers = Promise.all([import("../parse/parser.js"), import("../parse/flat-tree.js"), import("./analyze-file.js")]).then(
    async ([{ loadPythonLanguage }, { FlatTree }, { analyzeFlatTree }]) => ({ language: await loadPythonLanguage(), FlatTree, analyzeFlatTree }),
  );
  const runWorker = () =>
    new Promise<void>((resolve, reject) => {
      const worker = spawnWorker();
      const sendNext = () => {
        if (next >= batches.length) {
          void worker.terminate().then(() => resolve());
          return;
        }
        worker.postMessage(batches[next++]);
      };
      worker.on("message", (message: "ready" | ParsedTransfer[]) => {
        // The thread gets its next batch before this one is analyzed, so it never waits on us.
        sendNext();
        if (message === "ready") return;
        analyzers.then(({ language, FlatTree, analyzeFlatTree }) => {
          const analyzed = message.map((parsed): FileAnalysis => {
            if (parsed.state !== "parsed") return parsed;
            try {
              return analyzeFlatTree(parsed.path, parsed.hash, FlatTree.fromTransfer(language, parsed.tree));
            } catch (error) {
              return { state: "error", path: parsed.path, hash: parsed.hash, message: `analyzer failed: ${(error as Error).message}` };
            }
          });
          for (const result of analyzed) byPath.set(result.path, result);
          onProgress(byPath.size, analyzed);
        }, reject);
      });
      worker.on("error", reject);
      worker.on("exit", (code) => {
        if (code !== 0 && next < batches.length) reject(new Error(`parser thread exited with code ${code}`));
      });
    });
  await Promise.all(Array.from({ length: workerCount }, runWorker));
  // Every batch's analysis was queued on `analyzers` before its thread was told to stop.
  await analyzers.then(() => undefined);
  return items.map((item) => byPath.get(item.path)!);
}

/** `items` by descending size, cut into batches of about BATCH_BYTES (a large file is a batch alone). */
export function largestFirstBatches(items: WorkItem[]): WorkItem[][] {
  const ordered = items.slice().sort((a, b) => b.bytes.length - a.bytes.length);
  const batches: WorkItem[][] = [];
  let batch: WorkItem[] = [];
  let bytes = 0;
  for (const item of ordered) {
    batch.push(item);
    bytes += item.bytes.length;
    if (bytes >= BATCH_BYTES || batch.length >= BATCH_FILES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function spawnWorker(): Worker {
  const runningFromSource = import.meta.url.endsWith(".ts");
  const url = new URL(runningFromSource ? "./worker.ts" : "./worker.js", import.meta.url);
  return new Worker(url, runningFromSource ? { execArgv: ["--import", "tsx"] } : {});
}
