import type { SyntaxNode } from "../parse/parser.js";
import { lineStart, nextLineStart, onlyCommentAfter, onlyWhitespaceBefore, skipSpaces, type TextEdit } from "./edits.js";

/** The statements of a block or module, without the comments tree-sitter places among them. */
export function statementsOf(container: SyntaxNode): SyntaxNode[] {
  return container.namedChildren.filter((child): child is SyntaxNode => !!child && child.type !== "comment");
}

/**
 * Edits that delete whole statements. A statement alone on its lines goes with its lines (and its
 * trailing comment); one that shares a line through `;` goes with its separator. Invariant: no
 * block is left without a statement; the first removed statement of an emptied block becomes
 * `pass` (a module may become empty).
 */
export function removeStatements(source: string, nodes: readonly SyntaxNode[]): TextEdit[] {
  const byParent = new Map<number, { parent: SyntaxNode | null; nodes: SyntaxNode[] }>();
  for (const node of nodes) {
    const key = node.parent?.id ?? -1;
    const group = byParent.get(key) ?? { parent: node.parent, nodes: [] };
    if (!group.nodes.some((existing) => existing.id === node.id)) group.nodes.push(node);
    byParent.set(key, group);
  }
  const edits: TextEdit[] = [];
  for (const { parent, nodes: removed } of byParent.values()) {
    removed.sort((a, b) => a.startIndex - b.startIndex);
    const emptied = parent !== null && parent.type === "block" && statementsOf(parent).length === removed.length;
    removed.forEach((node, index) => {
      if (emptied && index === 0) edits.push({ start: node.startIndex, end: node.endIndex, text: "pass" });
      else edits.push(deleteStatement(source, node));
    });
  }
  return edits;
}

/** The edit deleting one statement, with its line when it has the line to itself. */
export function deleteStatement(source: string, node: SyntaxNode): TextEdit {
  const afterEnd = skipSpaces(source, node.endIndex);
  if (source[afterEnd] === ";") {
    return { start: node.startIndex, end: skipSpaces(source, afterEnd + 1), text: "" };
  }
  let before = node.startIndex - 1;
  while (before >= 0 && (source[before] === " " || source[before] === "\t")) before--;
  if (before >= 0 && source[before] === ";") return { start: before, end: node.endIndex, text: "" };
  if (onlyWhitespaceBefore(source, node.startIndex) && onlyCommentAfter(source, node.endIndex)) {
    const start = lineStart(source, node.startIndex);
    let end = nextLineStart(source, node.endIndex);
    // A statement between two blank lines (or first in the file) takes the one after it along: no double gap is left.
    const blankBefore = start === 0 || isBlankLine(source, lineStart(source, start - 1));
    if (blankBefore && end < source.length && isBlankLine(source, end)) end = nextLineStart(source, end);
    return { start, end, text: "" };
  }
  return { start: node.startIndex, end: node.endIndex, text: "" };
}

function isBlankLine(source: string, start: number): boolean {
  for (let at = start; at < source.length && source[at] !== "\n"; at++) {
    if (source[at] !== " " && source[at] !== "\t" && source[at] !== "\r") return false;
  }
  return true;
}
