import { CodemodError } from "./errors.js";

/**
 * A replacement of `source.slice(start, end)` by `text`. Offsets are JavaScript string indices
 * (UTF-16 code units), which is what web-tree-sitter's `startIndex`/`endIndex` are for string input.
 */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits; everything outside them is kept byte for byte. */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  if (edits.length === 0) return source;
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: string[] = [];
  let cursor = 0;
  for (const edit of sorted) {
    if (edit.start < cursor || edit.end < edit.start || edit.end > source.length) {
      throw new CodemodError("codemod produced overlapping or out-of-range edits", { start: edit.start, end: edit.end, cursor });
    }
    parts.push(source.slice(cursor, edit.start), edit.text);
    cursor = edit.end;
  }
  parts.push(source.slice(cursor));
  return parts.join("");
}

/** Index of the first character of the line holding `index`. */
export function lineStart(source: string, index: number): number {
  return source.lastIndexOf("\n", index - 1) + 1;
}

/** Index just past the newline ending the line that holds `index` (or the end of the source). */
export function nextLineStart(source: string, index: number): number {
  const newline = source.indexOf("\n", index);
  return newline === -1 ? source.length : newline + 1;
}

/** Leading whitespace of the line holding `index`. */
export function indentationAt(source: string, index: number): string {
  const start = lineStart(source, index);
  let end = start;
  while (end < source.length && (source[end] === " " || source[end] === "\t")) end++;
  return source.slice(start, end);
}

/** True when only spaces/tabs lie between the start of the line and `index`. */
export function onlyWhitespaceBefore(source: string, index: number): boolean {
  for (let at = index - 1; at >= 0 && source[at] !== "\n"; at--) {
    if (source[at] !== " " && source[at] !== "\t") return false;
  }
  return true;
}

/** True when only spaces/tabs and an optional `# comment` lie between `index` and the end of its line. */
export function onlyCommentAfter(source: string, index: number): boolean {
  for (let at = index; at < source.length && source[at] !== "\n"; at++) {
    const char = source[at];
    if (char === "#") return true;
    if (char !== " " && char !== "\t" && char !== "\r") return false;
  }
  return true;
}

/** Index of the first character at or after `index` that is not a space or tab. */
export function skipSpaces(source: string, index: number): number {
  let at = index;
  while (at < source.length && (source[at] === " " || source[at] === "\t")) at++;
  return at;
}
