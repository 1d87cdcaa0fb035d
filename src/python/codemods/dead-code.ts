import type { Parser } from "web-tree-sitter";
import { parsePython, type SyntaxNode } from "../parse/parser.js";
import { lineStart, nextLineStart, onlyCommentAfter, onlyWhitespaceBefore, type TextEdit } from "./edits.js";
import { hasNoqa, linesOf, walk } from "./names.js";
import { finishEdits, type CodemodResult } from "./result.js";
import { deleteStatement, statementsOf } from "./statements.js";

const JUMPS = new Set(["return_statement", "raise_statement", "continue_statement", "break_statement"]);

/**
 * Removes the statements that follow a `return`, `raise`, `continue` or `break` in the same block.
 * The jump stays, so no block is ever left empty. Comments among the dead statements go with them;
 * comments after the last dead statement (which usually introduce the next live code, even when
 * tree-sitter files them under the inner block) stay. A dead statement marked `# noqa: V201`, or
 * a dead `yield` (which still makes the function a generator), keeps its block untouched.
 */
export function removeDeadCode(parser: Parser, source: string): CodemodResult {
  const tree = parsePython(parser, source);
  try {
    const root = tree.rootNode;
    if (root.hasError) return { source, changes: [] };
    const edits: TextEdit[] = [];
    const changes: string[] = [];
    let deadStart = -1;
    let deadEnd = -1;
    walk(root, (node) => {
      // Dead code nested inside dead code goes with its outer range.
      if (node.startIndex >= deadStart && node.startIndex < deadEnd) return false;
      if (node.type !== "block" && node.type !== "module") return true;
      const statements = statementsOf(node);
      const jump = statements.findIndex((statement) => JUMPS.has(statement.type));
      if (jump === -1 || jump === statements.length - 1) return true;
      const dead = statements.slice(jump + 1);
      if (dead.some((statement) => hasNoqa(linesOf(source, statement), ["V201"]))) return true;
      // `return; yield` is the empty-generator idiom: the dead yield is what makes the function a generator.
      if (dead.some(containsOwnYield)) return true;
      edits.push(...deadRangeEdits(source, dead, commentsBetween(node, statements[jump]!, dead[0]!)));
      deadStart = dead[0]!.startIndex;
      deadEnd = dead[dead.length - 1]!.endIndex;
      const first = dead[0]!.startPosition.row + 1;
      const last = dead[dead.length - 1]!.endPosition.row + 1;
      changes.push(first === last ? `line ${first}` : `lines ${first}-${last}`);
      return true;
    });
    return finishEdits(parser, source, edits, changes);
  } finally {
    tree.delete();
  }
}

function containsOwnYield(statement: SyntaxNode): boolean {
  let found = false;
  walk(statement, (node) => {
    if (found || node.type === "function_definition" || node.type === "lambda" || node.type === "class_definition") return false;
    if (node.type === "yield") found = true;
    return !found;
  });
  return found;
}

/** Comments on their own lines between the jump and the first dead statement, indented like the dead code: they describe it. */
function commentsBetween(block: SyntaxNode, jump: SyntaxNode, firstDead: SyntaxNode): SyntaxNode[] {
  const comments = block.namedChildren.filter(
    (child): child is SyntaxNode =>
      !!child && child.type === "comment" && child.startIndex > jump.endIndex && child.startIndex < firstDead.startIndex && child.startPosition.row > jump.endPosition.row,
  );
  return comments.every((comment) => comment.startPosition.column >= firstDead.startPosition.column) ? comments : [];
}

function deadRangeEdits(source: string, dead: readonly SyntaxNode[], leadingComments: readonly SyntaxNode[]): TextEdit[] {
  const first = dead[0]!;
  const last = dead[dead.length - 1]!;
  if (onlyWhitespaceBefore(source, first.startIndex) && onlyCommentAfter(source, last.endIndex)) {
    const start = leadingComments[0]?.startIndex ?? first.startIndex;
    return [{ start: lineStart(source, start), end: nextLineStart(source, last.endIndex), text: "" }];
  }
  return dead.map((statement) => deleteStatement(source, statement));
}
