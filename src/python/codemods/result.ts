import type { Parser } from "web-tree-sitter";
import { parsePython } from "../parse/parser.js";
import { applyEdits, type TextEdit } from "./edits.js";
import { CodemodError } from "./errors.js";

/** What a codemod did to one file. `changes` names each fix (`os`, `x (line 4)`); empty when nothing applied. */
export interface CodemodResult {
  source: string;
  changes: string[];
}

/**
 * Applies the edits and re-parses: a codemod must never turn a file that parsed into one that does
 * not (that would be a bug in the codemod, so it throws rather than returning the damage).
 */
export function finishEdits(parser: Parser, source: string, edits: readonly TextEdit[], changes: string[]): CodemodResult {
  if (edits.length === 0) return { source, changes: [] };
  const output = applyEdits(source, edits);
  const tree = parsePython(parser, output);
  try {
    if (tree.rootNode.hasError) throw new CodemodError("codemod output does not parse; no change made", { changes });
  } finally {
    tree.delete();
  }
  return { source: output, changes };
}
