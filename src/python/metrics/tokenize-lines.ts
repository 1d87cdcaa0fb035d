/**
 * Python's `str.splitlines()` and `str.strip()`, which radon applies to a source before
 * tokenizing it line by line (so `\f`, `\v`, `\x1c`..`\x1e`, `\x85`, U+2028/9 end lines too).
 */

/** Python `str.isspace()` for one UTF-16 unit (all such characters are in the BMP). */
export function isPythonSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13) || (code >= 28 && code <= 31);
  if (code < 133) return false;
  return (
    code === 133 ||
    code === 160 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** Line boundaries of Python's `str.splitlines()` (`\r\n` is one boundary). */
function isLineBreak(code: number): boolean {
  if (code <= 13) return code >= 10;
  if (code < 28) return false;
  return code <= 30 || code === 133 || code === 0x2028 || code === 0x2029;
}

/** `str.splitlines()` then `str.strip()` on each line, as [start, end) offsets into the source. */
export interface StrippedLines {
  count: number;
  starts: Int32Array;
  ends: Int32Array;
}

export function splitStrippedLines(source: string): StrippedLines {
  const length = source.length;
  let capacity = 1024;
  let starts = new Int32Array(capacity);
  let ends = new Int32Array(capacity);
  let count = 0;
  let lineStart = 0;
  let position = 0;
  while (position < length) {
    let lineEnd = position;
    while (lineEnd < length && !isLineBreak(source.charCodeAt(lineEnd))) lineEnd++;
    let start = lineStart;
    let end = lineEnd;
    while (start < end && isPythonSpace(source.charCodeAt(start))) start++;
    while (end > start && isPythonSpace(source.charCodeAt(end - 1))) end--;
    if (count === capacity) {
      capacity *= 2;
      const grownStarts = new Int32Array(capacity);
      grownStarts.set(starts);
      starts = grownStarts;
      const grownEnds = new Int32Array(capacity);
      grownEnds.set(ends);
      ends = grownEnds;
    }
    starts[count] = start;
    ends[count] = end;
    count++;
    position = lineEnd;
    if (position < length) {
      position += source.charCodeAt(position) === 13 && source.charCodeAt(position + 1) === 10 ? 2 : 1;
    }
    lineStart = position;
  }
  return { count, starts, ends };
}

