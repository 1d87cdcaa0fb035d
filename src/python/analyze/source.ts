/** Outcome of turning a file's bytes into Python source text. */
export type DecodedSource = { state: "ok"; text: string } | { state: "error"; message: string };

import { TextDecoder } from "node:util";

const CODING_COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/**
 * Python ends a line at `\n`, `\r\n` or a lone `\r` (old Mac files; mixed files too); tree-sitter
 * only at `\n`. Each lone `\r` becomes `\n`: one character for one, so every offset and column stays
 * what it was in the file, and line numbers become Python's.
 */
export function normalizeNewlines(text: string): string {
  return text.includes("\r") ? text.replace(/\r(?!\n)/g, "\n") : text;
}

/** The newline style of a file whose lone `\r`s `normalizeNewlines` turned into `\n`: "cr" when it has no `\n` at all, "mixed" when it has both. */
export function lineEndingsOf(text: string): "lf" | "cr" | "mixed" {
  if (!/\r(?!\n)/.test(text)) return "lf"; // \n and \r\n files parse as they are
  return text.includes("\n") ? "mixed" : "cr";
}

/**
 * Decodes source bytes as Python does (PEP 263): UTF-8 by default, a BOM forces UTF-8, a coding
 * cookie on line 1 or 2 names another encoding. Bytes Python itself would refuse are errors. Lone
 * `\r` line ends are normalized (see `normalizeNewlines`).
 */
export function decodePythonSource(bytes: Uint8Array): DecodedSource {
  if (bytes.includes(0)) return { state: "error", message: "source contains NUL bytes (not a Python text file)" };
  let start = 0;
  let encoding = "utf-8";
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    start = 3;
  } else {
    const cookie = findCodingCookie(bytes);
    if (cookie) encoding = normalizeEncoding(cookie);
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    return { state: "error", message: `unknown source encoding '${encoding}' in coding declaration` };
  }
  try {
    return { state: "ok", text: normalizeNewlines(decoder.decode(bytes.subarray(start))) };
  } catch {
    return { state: "error", message: `source is not valid ${encoding === "utf-8" ? "UTF-8" : encoding} (add a PEP 263 coding declaration or re-encode the file)` };
  }
}

function findCodingCookie(bytes: Uint8Array): string | undefined {
  let lineStart = 0;
  for (let lineNumber = 0; lineNumber < 2 && lineStart < bytes.length; lineNumber++) {
    let lineEnd = bytes.indexOf(0x0a, lineStart);
    if (lineEnd < 0) lineEnd = bytes.length;
    const carriageReturn = bytes.indexOf(0x0d, lineStart);
    if (carriageReturn >= 0 && carriageReturn < lineEnd - 1) lineEnd = carriageReturn; // a lone \r ends a line too
    const line = Buffer.from(bytes.subarray(lineStart, Math.min(lineEnd, lineStart + 200))).toString("latin1");
    const match = CODING_COOKIE.exec(line);
    if (match) return match[1];
    // PEP 263: the cookie may be on line 2 only when line 1 is a comment or blank.
    if (!/^[ \t\f]*(#.*)?\r?$/.test(line)) return undefined;
    lineStart = lineEnd + 1;
  }
  return undefined;
}

function normalizeEncoding(name: string): string {
  const lower = name.toLowerCase().replace(/_/g, "-");
  if (lower === "utf-8" || lower.startsWith("utf-8-") || lower === "utf8") return "utf-8";
  if (lower === "latin-1" || lower === "iso-latin-1" || lower === "l1" || lower.startsWith("latin-1-") || lower.startsWith("iso-8859-1-")) return "latin1";
  return lower;
}
