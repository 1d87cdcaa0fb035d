import { PyAgentError } from "../../core/errors.js";
import type { RawMetrics } from "../types.js";
import { ChunkScanner, FirstToken, splitStrippedLines } from "./tokenize.js";

/**
 * radon 5.1.0 gives up on a file whose lines never tokenize cleanly (an unclosed string or
 * bracket at end of file, a stray `$` or `?`, a UTF-8 byte-order mark) with
 * `SyntaxError at line: N`; `radon raw` reports that file as an error. This is that error.
 */
export class RawMetricsError extends PyAgentError {
  override readonly name = "RawMetricsError";
}

/**
 * radon's raw metrics (`radon raw -j`), computed by radon's own rules (`radon/raw.py: analyze`):
 *  - the source is split with `str.splitlines()` and each line stripped; lines are grouped into
 *    chunks, each the shortest run of lines that tokenizes cleanly (see tokenize.ts);
 *  - a chunk that is one COMMENT token is a single comment; one STRING token on one row is also a
 *    "single comment"; one STRING token over several rows adds its non-empty lines to `multi`;
 *    any other chunk adds its non-empty lines to `sloc`; empty lines always add to `blank`;
 *  - `comments` counts COMMENT tokens; `lloc` counts logical lines per `;`-separated piece;
 *  - `loc` is `sloc + blank + multi + singleComments`, which undercounts a one-row string or a
 *    comment reached through a backslash continuation, exactly as radon does.
 * The source is the text of the file as Python's text mode reads it; `\r\n` and `\r` behave like
 * `\n`. Throws RawMetricsError where radon raises.
 */
export function computeRawMetrics(source: string): RawMetrics {
  const lines = splitStrippedLines(source);
  const scanner = new ChunkScanner();
  let lloc = 0;
  let comments = 0;
  let singleComments = 0;
  let multi = 0;
  let blank = 0;
  let sloc = 0;
  let lineIndex = 0;
  while (lineIndex < lines.count) {
    const chunkStart = lineIndex;
    scanner.reset(source);
    for (;;) {
      if (lineIndex === lines.count) {
        throw new RawMetricsError(`SyntaxError at line: ${chunkStart + 1}`, { line: chunkStart + 1 });
      }
      const start = lines.starts[lineIndex];
      const end = lines.ends[lineIndex];
      if (scanner.tryFinalLine(start, end)) {
        lineIndex++;
        break;
      }
      if (!scanner.innerLine(start, end)) {
        throw new RawMetricsError(`SyntaxError at line: ${chunkStart + 1}`, { line: chunkStart + 1 });
      }
      lineIndex++;
    }
    let nonEmpty = 0;
    for (let index = chunkStart; index < lineIndex; index++) {
      if (lines.ends[index] > lines.starts[index]) nonEmpty++;
    }
    const empty = lineIndex - chunkStart - nonEmpty;
    const chunk = scanner.summary();
    comments += chunk.comments;
    if (chunk.single && chunk.firstKind === FirstToken.Comment) {
      singleComments++;
    } else if (chunk.single && chunk.firstKind === FirstToken.String) {
      if (chunk.firstSpansRows) {
        multi += nonEmpty;
        blank += empty;
      } else {
        singleComments++;
      }
    } else {
      sloc += nonEmpty;
      blank += empty;
    }
    lloc += chunk.lloc;
  }
  return {
    loc: sloc + blank + multi + singleComments,
    lloc,
    sloc,
    comments,
    multi,
    blank,
    singleComments,
  };
}
