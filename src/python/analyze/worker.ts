import { parentPort } from "node:worker_threads";
import type { FlatTreeTransfer } from "../parse/flat-tree.js";
import { createPythonParser } from "../parse/parser.js";
import type { FileAnalysis } from "../types.js";
import { parseFile } from "./parse-file.js";
import { readWorkItem, type ReadItem, type WorkItem } from "./work-item.js";

/** What a parser thread sends back per file: its flat tree (buffer transferred), or why there is none. */
export type ParsedTransfer =
  | { state: "parsed"; path: string; hash: string; tree: FlatTreeTransfer }
  | Extract<FileAnalysis, { state: "error" }>
  | Exclude<ReadItem, { state: "read" }>;

/**
 * Every batch of a run, sent to each thread once. Threads claim batches in order by incrementing
 * the shared counter, so a thread never waits for the main thread (busy analyzing) to hand it work.
 */
export interface WorkOrder {
  batches: WorkItem[][];
  /** Int32 at index 0: the next unclaimed batch. */
  next: SharedArrayBuffer;
}

/** A thread's messages: "ready" once, then one array per batch, then "done" when no batch is left. */
export type WorkerMessage = "ready" | "done" | ParsedTransfer[];

/**
 * A parser thread reads, hashes, decodes, parses and copies trees out of wasm; the JavaScript
 * analyzers run on the main thread over the transferred flat trees. That way only one V8 isolate
 * compiles and optimizes the analyzers (each isolate spent ~1 CPU-s on that), no facts are cloned
 * back, and a tree's arrays move between threads without a copy.
 */
const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");
const parser = await createPythonParser();
port.on("message", (order: WorkOrder) => {
  const next = new Int32Array(order.next);
  for (let index = Atomics.add(next, 0, 1); index < order.batches.length; index = Atomics.add(next, 0, 1)) {
    const transfers: ArrayBuffer[] = [];
    const results = order.batches[index]!.map((item) => parseItem(item, transfers));
    port.postMessage(results, transfers);
  }
  port.postMessage("done");
});
port.postMessage("ready");

function parseItem(item: WorkItem, transfers: ArrayBuffer[]): ParsedTransfer {
  const read = readWorkItem(item);
  if (read.state !== "read") return read;
  try {
    const parsed = parseFile(parser, item.path, read.bytes, read.hash);
    if (parsed.state !== "parsed") return parsed;
    const tree = parsed.tree.transferable();
    transfers.push(tree.buffer);
    return { state: "parsed", path: parsed.path, hash: parsed.hash, tree };
  } catch (error) {
    return { state: "error", path: item.path, hash: read.hash, message: `analyzer failed: ${(error as Error).message}` };
  }
}
