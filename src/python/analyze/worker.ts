import { parentPort } from "node:worker_threads";
import { createFlatParser, type FlatParser } from "../parse/flat-parser.js";
import { analyzerFailed, parseFile } from "./parse-file.js";
import { NEXT, type ParsedTransfer, type WorkerInput, type WorkOrder } from "./thread-protocol.js";
import { readWorkItem, type WorkItem } from "./work-item.js";

/**
 * A parser thread reads, hashes, decodes and parses files into flat trees (natively, or in wasm
 * and copied out); the JavaScript analyzers run on the main thread over the transferred flat
 * trees. That way only one V8 isolate compiles and optimizes the analyzers (each isolate spent ~1
 * CPU-s on that; even the metrics alone, measured in both threads, cost ~0.3 CPU-s more than on
 * the main thread and gained no wall time, with the wasm parser and again with the native one), no
 * facts are cloned back, and a tree's arrays move between threads without a copy.
 */
const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");
let parser: Promise<FlatParser> | undefined;
port.on("message", (message: WorkerInput) => {
  if ("wasm" in message) {
    parser = createFlatParser(message.wasm ?? undefined);
    return;
  }
  void parser!.then((ready) => run(ready, message));
});

function run(ready: FlatParser, order: WorkOrder): void {
  const counters = new Int32Array(order.counters);
  for (let index = Atomics.add(counters, NEXT, 1); index < order.batches.length; index = Atomics.add(counters, NEXT, 1)) {
    const transfers: ArrayBuffer[] = [];
    const results = order.batches[index]!.map((item) => parseItem(ready, item, transfers));
    port!.postMessage(results, transfers);
  }
  port!.postMessage("done");
}

function parseItem(parser: FlatParser, item: WorkItem, transfers: ArrayBuffer[]): ParsedTransfer {
  const read = readWorkItem(item);
  if (read.state !== "read") return read;
  try {
    const parsed = parseFile(parser, item.path, read.bytes, read.hash);
    if (parsed.state !== "parsed") return parsed;
    const tree = parsed.tree.transferable();
    transfers.push(tree.buffer);
    return { state: "parsed", path: parsed.path, hash: parsed.hash, tree };
  } catch (error) {
    return analyzerFailed(item.path, read.hash, error);
  }
}
