import { parentPort } from "node:worker_threads";
import type { FlatTreeTransfer } from "../parse/flat-tree.js";
import { createPythonParser } from "../parse/parser.js";
import type { FileAnalysis } from "../types.js";
import { parseFile } from "./analyze-file.js";

/** One unit of work sent to a parser thread. */
export interface WorkItem {
  path: string;
  bytes: Uint8Array;
  hash: string;
}

/** What a parser thread sends back per file: its flat tree (buffer transferred), or an error. */
export type ParsedTransfer = { state: "parsed"; path: string; hash: string; tree: FlatTreeTransfer } | Extract<FileAnalysis, { state: "error" }>;

/**
 * A parser thread decodes, parses and copies trees out of wasm; the JavaScript analyzers run on
 * the main thread over the transferred flat trees. That way only one V8 isolate compiles and
 * optimizes the analyzers (each isolate spent ~1 CPU-s on that), no facts are cloned back, and a
 * tree's arrays move between threads without a copy.
 */
const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");
const parser = await createPythonParser();
port.on("message", (batch: WorkItem[]) => {
  const transfers: ArrayBuffer[] = [];
  const results = batch.map((item): ParsedTransfer => {
    try {
      const parsed = parseFile(parser, item.path, item.bytes, item.hash);
      if (parsed.state !== "parsed") return parsed;
      const tree = parsed.tree.transferable();
      transfers.push(tree.buffer);
      return { state: "parsed", path: parsed.path, hash: parsed.hash, tree };
    } catch (error) {
      return { state: "error", path: item.path, hash: item.hash, message: `analyzer failed: ${(error as Error).message}` };
    }
  });
  port.postMessage(results, transfers);
});
port.postMessage("ready");
