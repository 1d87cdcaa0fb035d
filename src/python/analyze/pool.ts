import { Worker } from "node:worker_threads";
import type { FileAnalysis } from "../types.js";
import type { WorkItem } from "./worker.js";

/** Below this many files, starting threads costs more than it saves. */
const IN_PROCESS_LIMIT = 24;
/** A batch is closed once it holds this many bytes of source or this many files. */
const BATCH_BYTES = 64 * 1024;
const BATCH_FILES = 16;

/**
 * Analyzes files on `threads` worker threads (each with its own tree-sitter parser). Files go out
 * largest first, in batches of about BATCH_BYTES, so the run ends on a few small files and no
 * thread is left finishing a large one while the others wait. Results come back in `items` order.
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
      worker.on("message", (message: "ready" | FileAnalysis[]) => {
        if (message !== "ready") {
          for (const result of message) byPath.set(result.path, result);
          onProgress(byPath.size, message);
        }
        sendNext();
      });
      worker.on("error", reject);
      worker.on("exit", (code) => {
        if (code !== 0 && next < batches.length) reject(new Error(`parser thread exited with code ${code}`));
      });
    });
  await Promise.all(Array.from({ length: workerCount }, runWorker));
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

/**
 * Young generation of a parser thread, MB (V8's default is 48: 16 MB semi-spaces). A file's
 * analysis keeps several MB alive while it runs (its flat tree's nodes, the walk's tables), and
 * every scavenge copies that live set; with larger semi-spaces there are fewer scavenges (measured
 * on the stdlib, one thread: scavenge time 0.43 -> 0.15 s with 128 MB semi-spaces).
 */
const YOUNG_GENERATION_MB = 3 * 128;

function spawnWorker(): Worker {
  const runningFromSource = import.meta.url.endsWith(".ts");
  const url = new URL(runningFromSource ? "./worker.ts" : "./worker.js", import.meta.url);
  const resourceLimits = { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB };
  return new Worker(url, runningFromSource ? { execArgv: ["--import", "tsx"], resourceLimits } : { resourceLimits });
}
