import { Worker } from "node:worker_threads";
import { createPythonParser } from "../parse/parser.js";
import type { FileAnalysis } from "../types.js";
import { analyzeFile } from "./analyze-file.js";
import type { WorkItem } from "./worker.js";

/** Below this many files, starting threads costs more than it saves. */
const IN_PROCESS_LIMIT = 24;
const BATCH_SIZE = 8;

/**
 * Analyzes files on `threads` worker threads (each with its own tree-sitter parser), handing out
 * small batches so a thread that drew large files does not hold the others up.
 */
export async function analyzeInParallel(
  items: WorkItem[],
  threads: number,
  onProgress: (done: number, batch: FileAnalysis[]) => void = () => {},
): Promise<FileAnalysis[]> {
  if (items.length === 0) return [];
  if (threads <= 1 || items.length <= IN_PROCESS_LIMIT) {
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
  let next = 0;
  const workerCount = Math.min(threads, Math.ceil(items.length / BATCH_SIZE));
  const runWorker = () =>
    new Promise<void>((resolve, reject) => {
      const worker = spawnWorker();
      let pending: WorkItem[] = [];
      const sendNext = () => {
        if (next >= items.length) {
          void worker.terminate().then(() => resolve());
          return;
        }
        pending = items.slice(next, next + BATCH_SIZE);
        next += pending.length;
        worker.postMessage(pending);
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
        if (code !== 0 && next < items.length) reject(new Error(`parser thread exited with code ${code}`));
      });
    });
  await Promise.all(Array.from({ length: workerCount }, runWorker));
  return items.map((item) => byPath.get(item.path)!);
}

function spawnWorker(): Worker {
  const runningFromSource = import.meta.url.endsWith(".ts");
  const url = new URL(runningFromSource ? "./worker.ts" : "./worker.js", import.meta.url);
  return new Worker(url, runningFromSource ? { execArgv: ["--import", "tsx"] } : {});
}
