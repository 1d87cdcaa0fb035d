import type { FlatParser } from "../parse/flat-parser.js";
import type { FlatTree } from "../parse/flat-tree.js";
import type { FileAnalysis } from "../types.js";
import { decodePythonSource } from "./source.js";

/** A file parsed into a flat tree, ready for `analyzeFlatTree`; or why it could not be. */
export type ParsedFile = { state: "parsed"; path: string; hash: string; tree: FlatTree } | Extract<FileAnalysis, { state: "error" }>;

/** The result for a file whose analysis threw: reported in `errors` like a file that does not parse. */
export function analyzerFailed(path: string, hash: string, error: unknown): Extract<FileAnalysis, { state: "error" }> {
  return { state: "error", path, hash, message: `analyzer failed: ${(error as Error).message}` };
}

/** Decode and parse one file into a flat tree: the part of an analysis that needs a parser (parser threads import only this). */
export function parseFile(parser: FlatParser, path: string, bytes: Uint8Array, hash: string): ParsedFile {
  const decoded = decodePythonSource(bytes);
  if (decoded.state === "error") return { state: "error", path, hash, message: decoded.message };
  const parsed = parser.parse(decoded.text);
  return "syntaxError" in parsed ? { state: "error", path, hash, message: parsed.syntaxError } : { state: "parsed", path, hash, tree: parsed.tree };
}
