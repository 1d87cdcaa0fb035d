import { parentPort } from "node:worker_threads";
import { createPythonParser } from "../parse/parser.js";
import { measureFile } from "./file-metrics.js";
import { parseFile } from "./parse-file.js";
import { ANALYZED, NEXT, SENT, type ParsedTransfer, type WorkOrder } from "./thread-protocol.js";
import { readWorkItem, type WorkItem } from "./work-item.js";

/**
 * A parser thread reads, hashes, decodes, parses and copies trees out of wasm. While the main
 * thread has batches waiting it also measures each file (raw metrics, Halstead, complexity: small
 * code, cheap to optimize in every thread); the findings walk always runs on the main thread, over
 * the transferred flat trees. That way only one V8 isolate compiles and optimizes that large
 * walker (each isolate spent ~1 CPU-s on the whole analysis), no facts are cloned back, and a
 * tree's arrays move between threads without a copy.
 */
const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");
const parser = await createPythonParser();
port.on("message", (order: WorkOrder) => {
  const counters = new Int32Array(order.counters);
  for (let index = Atomics.add(counters, NEXT, 1); index < order.batches.length; index = Atomics.add(counters, NEXT, 1)) {
    const measure = Atomics.load(counters, SENT) - Atomics.load(counters, ANALYZED) > 0;
    const transfers: ArrayBuffer[] = [];
    const results = order.batches[index]!.map((item) => parseItem(item, measure, transfers));
    Atomics.add(counters, SENT, 1);
    port.postMessage(results, transfers);
  }
  port.postMessage("done");
});
port.postMessage("ready");

function parseItem(item: WorkItem, measure: boolean, transfers: ArrayBuffer[]): ParsedTransfer {
  const read = readWorkItem(item);
  if (read.state !== "read") return read;
  try {
    const parsed = parseFile(parser, item.path, read.bytes, read.hash);
    if (parsed.state !== "parsed") return parsed;
    const measured = measure ? measureFile(parsed.tree) : undefined;
    const tree = parsed.tree.transferable();
    transfers.push(tree.buffer);
    return { state: "parsed", path: parsed.path, hash: parsed.hash, tree, measured };
  } catch (error) {
    return { state: "error", path: item.path, hash: read.hash, message: `analyzer failed: ${(error as Error).message}` };
  }
}
