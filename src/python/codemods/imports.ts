import type { SyntaxNode } from "../parse/parser.js";
import { lineStart, nextLineStart, onlyCommentAfter, onlyWhitespaceBefore, skipSpaces, type TextEdit } from "./edits.js";

/** One name of an import statement: `os.path` in `import os.path`, `b as c` in `from m import b as c`. */
export interface ImportElement {
  node: SyntaxNode;
  /** The name the element binds in the importing scope (`os` for `import os.path`, the alias when there is one). */
  bound: string;
  /** The dotted name as written before any `as`. */
  imported: string;
  /** `import x as x` / `from m import x as x`: an explicit re-export (PEP 484). */
  reexport: boolean;
}

export interface ImportStatement {
  node: SyntaxNode;
  kind: "import" | "from";
  /** Module of a `from` import as written (`os.path`, `.models`, `..`); "" for `import x`. */
  module: string;
  elements: ImportElement[];
  /** `from m import *` */
  star: boolean;
  parenthesized: boolean;
}

/** Reads an `import_statement` or `import_from_statement`; undefined for other nodes (including `from __future__`). */
export function readImport(node: SyntaxNode): ImportStatement | undefined {
  if (node.type !== "import_statement" && node.type !== "import_from_statement") return undefined;
  const kind = node.type === "import_statement" ? "import" : "from";
  const moduleNode = kind === "from" ? node.childForFieldName("module_name") : null;
  const elements: ImportElement[] = [];
  let star = false;
  let parenthesized = false;
  for (let index = 0; index < node.childCount; index++) {
    const child = node.child(index);
    if (!child) continue;
    if (child.type === "wildcard_import") star = true;
    if (child.type === "(") parenthesized = true;
    if (node.fieldNameForChild(index) !== "name") continue;
    if (child.type === "aliased_import") {
      const name = child.childForFieldName("name")?.text ?? "";
      const alias = child.childForFieldName("alias")?.text ?? name;
      elements.push({ node: child, bound: alias, imported: name, reexport: alias === name.split(".").pop() && !name.includes(".") });
    } else {
      const name = child.text;
      elements.push({ node: child, bound: kind === "import" ? name.split(".")[0]! : name, imported: name, reexport: false });
    }
  }
  return { node, kind, module: moduleNode?.text ?? "", elements, star, parenthesized };
}

/**
 * Edits that drop some (not all) elements of one import statement, keeping the separators,
 * parentheses and comments of the kept ones well formed. Each removed run of consecutive elements
 * takes the separator after it; a run at the end takes the separator before it, or its whole lines
 * when the statement is parenthesized and the run has its lines to itself.
 */
export function removeImportElements(source: string, statement: ImportStatement, removed: ReadonlySet<number>): TextEdit[] {
  const elements = statement.elements;
  const last = elements.length - 1;
  const edits: TextEdit[] = [];
  let index = 0;
  while (index <= last) {
    if (!removed.has(index)) {
      index++;
      continue;
    }
    const first = index;
    while (index + 1 <= last && removed.has(index + 1)) index++;
    const runEnd = index;
    index++;
    const startNode = elements[first]!.node;
    if (runEnd < last) {
      edits.push({ start: startNode.startIndex, end: elements[runEnd + 1]!.node.startIndex, text: "" });
      continue;
    }
    const previous = elements[first - 1]!.node;
    const endNode = elements[last]!.node;
    const gap = source.slice(previous.endIndex, startNode.startIndex);
    let afterLast = skipSpaces(source, endNode.endIndex);
    if (source[afterLast] === ",") afterLast++;
    if (statement.parenthesized && gap.includes("\n") && onlyWhitespaceBefore(source, startNode.startIndex) && onlyCommentAfter(source, afterLast)) {
      edits.push({ start: lineStart(source, startNode.startIndex), end: nextLineStart(source, afterLast), text: "" });
    } else {
      edits.push({ start: previous.endIndex, end: endNode.endIndex, text: "" });
    }
  }
  return edits;
}
