import { readFileSync } from "node:fs";
import { contentHash } from "../../core/hashing.js";
import { describeFsError } from "./discover.js";

/** One file to analyze: where to read it, and the content hash of its stored analysis, if any. */
export interface WorkItem {
  path: string;
  absolutePath: string;
  /** Size when discovered: what batches are balanced by (the file is read later, by a thread). */
  size: number;
  /** A stored analysis's hash: a file whose content still has it was only touched, not changed. */
  cachedHash?: string;
}

/**
 * A work item's bytes and hash; or that its content is what the store has; or why it could not be
 * read (not an analysis result: it is reported, never stored, so the next run tries again).
 */
export type ReadItem =
  | { state: "read"; path: string; bytes: Buffer; hash: string }
  | { state: "unchanged"; path: string; hash: string }
  | { state: "unreadable"; path: string; message: string };

/** Reads and hashes one work item (in whichever thread parses it). */
export function readWorkItem(item: WorkItem): ReadItem {
  let bytes: Buffer;
  try {
    bytes = readFileSync(item.absolutePath);
  } catch (error) {
    return { state: "unreadable", path: item.path, message: describeFsError(error) };
  }
  const hash = contentHash(bytes);
  if (hash === item.cachedHash) return { state: "unchanged", path: item.path, hash };
  return { state: "read", path: item.path, bytes, hash };
}
