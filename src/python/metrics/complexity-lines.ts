import type { AnalysisCursor } from "../parse/flat-node.js";
import { Kind, type KindTables } from "./complexity-kinds.js";

/**
 * radon's `max_line` of one statement: the greatest `lineno` among the `ast` nodes its visitor
 * sees (nested defs, classes and asserts are never seen). Returns a 1-based line or -Infinity.
 *
 * Walks from the last child backwards and stops at the first child that yields a line: every
 * node of an earlier sibling starts no later than a later sibling starts, so the later sibling's
 * answer is the maximum. That touches one path down the tree instead of the whole statement.
 * The cursor must be on the statement and ends there.
 */
export function statementMaxLine(cursor: AnalysisCursor, tables: KindTables): number {
  return maxLine(cursor, tables, false);
}

function maxLine(cursor: AnalysisCursor, tables: KindTables, inWithItem: boolean): number {
  const kind = tables.kind[cursor.nodeTypeId];
  switch (kind) {
    case Kind.Token:
    case Kind.Ignore:
    case Kind.Unseen:
      return -Infinity;
    case Kind.Leaf:
      return cursor.startPosition.row + 1;
    case Kind.Pass:
    case Kind.WithItem:
      return lastChildLine(cursor, tables, 0, kind === Kind.WithItem);
    case Kind.ConcatenatedString:
      // Inner strings are not `ast` nodes; only their interpolations' expressions are.
      return Math.max(cursor.startPosition.row + 1, lastChildLine(cursor, tables, 0, false, true));
    default: {
      let skipField = 0;
      if (kind === Kind.Attribute) skipField = tables.fieldAttribute;
      else if (kind === Kind.ImportFrom) skipField = tables.fieldModuleName;
      else if (kind === Kind.AsPattern && !inWithItem) skipField = tables.fieldAlias;
      const inner = lastChildLine(cursor, tables, skipField, false);
      return inner > -Infinity ? inner : cursor.startPosition.row + 1;
    }
  }
}

function lastChildLine(
  cursor: AnalysisCursor,
  tables: KindTables,
  skipField: number,
  inWithItem: boolean,
  stringsAsContainers = false,
): number {
  if (!cursor.gotoLastChild()) return -Infinity;
  let line = -Infinity;
  do {
    if (skipField !== 0 && cursor.currentFieldId === skipField) continue;
    line =
      stringsAsContainers && tables.kind[cursor.nodeTypeId] === Kind.String
        ? lastChildLine(cursor, tables, 0, false)
        : maxLine(cursor, tables, inWithItem);
  } while (line === -Infinity && cursor.gotoPreviousSibling());
  cursor.gotoParent();
  return line;
}
