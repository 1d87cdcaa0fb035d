import { posix } from "node:path";
import type { FileEdit } from "./types.js";
import { applyBlock, parseEditBlocks } from "./edit-blocks.js";

/** A new file a model writes (tests) may have at most this many lines. */
export const MAX_NEW_FILE_LINES = 400;

/**
 * The task's own path for what a model wrote, or the reason it is refused. Invariant: an accepted
 * path is relative, normalized, free of `..`, outside `.git`, and one of the task's files, so an
 * edit can only land inside the worktree on a file the plan named (the fleet also refuses paths
 * through symlinks).
 */
export function confinePath(written: string, allowed: readonly string[]): { ok: true; path: string } | { ok: false; problem: string } {
  if (written.includes("\0") || written.includes("\\")) return { ok: false, problem: `refused path ${JSON.stringify(written.slice(0, 200))}: invalid characters` };
  if (written.startsWith("/") || /^[a-z]:/i.test(written) || written.startsWith("~")) return { ok: false, problem: `refused path ${written}: absolute paths are outside the worktree` };
  if (written.split("/").includes("..")) return { ok: false, problem: `refused path ${written}: '..' leaves the task's files` };
  const path = posix.normalize(written).replace(/^\.\//, "");
  if (path === ".git" || path.startsWith(".git/")) return { ok: false, problem: `refused path ${written}: .git is not editable` };
  if (!allowed.includes(path)) return { ok: false, problem: `refused path ${written}: this task may only edit ${allowed.join(", ")}` };
  return { ok: true, path };
}

export type ReplyEdits = { ok: true; edits: FileEdit[] } | { ok: false; problems: string[] };

/**
 * Turns a model's reply into whole-file edits of the task's files: every block must name an
 * allowed path and match its file (see applyBlock); one bad block fails the reply, so a retry
 * sees every problem at once.
 */
export function editsFromReply(reply: string, allowed: readonly string[], read: (path: string) => string | undefined): ReplyEdits {
  const blocks = parseEditBlocks(reply);
  if (blocks.length === 0) return { ok: false, problems: ["the reply has no search/replace blocks (<<<<<<< SEARCH ... ======= ... >>>>>>> REPLACE)"] };
  const contents = new Map<string, string>();
  const problems: string[] = [];
  for (const block of blocks) {
    const confined = confinePath(block.path, allowed);
    if (!confined.ok) {
      problems.push(confined.problem);
      continue;
    }
    const current = contents.get(confined.path) ?? read(confined.path);
    if (current === undefined) {
      if (block.search.trim() !== "") problems.push(`${confined.path} does not exist; leave SEARCH empty to create it`);
      else if (block.replace.split("\n").length > MAX_NEW_FILE_LINES) problems.push(`${confined.path}: a new file may have at most ${MAX_NEW_FILE_LINES} lines`);
      else contents.set(confined.path, block.replace.endsWith("\n") ? block.replace : `${block.replace}\n`);
      continue;
    }
    const applied = applyBlock(current, { ...block, path: confined.path });
    if (applied.ok) contents.set(confined.path, applied.content);
    else problems.push(applied.problem);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, edits: [...contents].map(([path, content]) => ({ path, content })) };
}
