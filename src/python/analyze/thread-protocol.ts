import type { FlatTreeTransfer } from "../parse/flat-tree.js";
import type { PythonWasm } from "../parse/parser.js";
import type { FileAnalysis } from "../types.js";
import type { ReadItem, WorkItem } from "./work-item.js";

// What the main thread and the parser threads (worker.ts) send each other.

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
  /** Int32s: [NEXT] the next unclaimed batch. */
  counters: SharedArrayBuffer;
}

export const NEXT = 0;

/**
 * What a thread is sent: first the parser to use (the wasm modules compiled once for every thread,
 * or null for the native parser), then one work order.
 */
export type WorkerInput = { wasm: PythonWasm | null } | WorkOrder;

/** A thread's messages: one array per batch, then "done" when no batch is left. */
export type WorkerMessage = "done" | ParsedTransfer[];
