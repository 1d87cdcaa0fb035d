import { parentPort } from "node:worker_threads";
import { createPythonParser } from "../parse/parser.js";
import type { FileAnalysis } from "../types.js";
import { analyzeFile } from "./analyze-file.js";

/** One unit of work sent to a parser thread. */
export interface WorkItem {
  path: string;
  bytes: Uint8Array;
  hash: string;
}

const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");
const parser = await createPythonParser();
port.on("message", (batch: WorkItem[]) => {
  const results: FileAnalysis[] = batch.map((item) => {
    try {
      return analyzeFile(parser, item.path, item.bytes, item.hash);
    } catch (error) {
      return { state: "error", path: item.path, hash: item.hash, message: `analyzer failed: ${(error as Error).message}` };
    }
  });
  port.postMessage(results);
});
port.postMessage("ready");
