import type { TreeCursor } from "web-tree-sitter";
import type { SyntaxNode } from "../parse/parser.js";
import type { BlockMetrics } from "../types.js";
import { Kind, kindTables, type KindTables } from "./complexity-kinds.js";

/**
 * Cyclomatic complexity exactly as radon 5.1.0 (`radon cc`, Python 3.11 `ast`) computes it, from
 * one cursor walk over a tree-sitter-python tree. The rules, ported from radon's
 * `ComplexityVisitor` (radon/visitors.py):
 *  - +1 per if/elif, conditional expression, for/async for/while (+1 more with `else`), `and`/`or`
 *    operator (a BoolOp of n values adds n-1, i.e. one per operator token), comprehension `for`
 *    and comprehension `if`, `except` handler, `try ... else`, `assert` (whose children radon
 *    never visits). Nothing for with, lambda itself, match/case, `except*` (TryStar), finally.
 *  - A function is 1 + the decision points of its body; nested defs and classes in it are opaque
 *    (closures are not listed by plain `radon cc`, and never add to the outer function).
 *    Decorators, default values, annotations and class bases are never visited.
 *  - A class's real complexity is 1 + its body's decision points + its methods' complexities
 *    (methods = defs anywhere in its body outside nested defs/classes); radon reports
 *    `real` when it has no methods, else `trunc(real / methods) + (methods > 1)`. Nested classes
 *    are neither listed nor counted.
 *  - Lines: `line` is the def/class line; a function's `endLine` is the greatest `ast` lineno
 *    radon's visitor saw in the LAST body statement (nested defs, classes and asserts are not
 *    seen), or the def line; a class's is the greatest over all body statements and methods.
 */

const MODULE = 0;
const CLASS = 1;
const FUNCTION = 2;

interface ClassRecord {
  block: BlockMetrics;
  methods: BlockMetrics[];
  real: number;
}

interface WalkState {
  cursor: TreeCursor;
  tables: KindTables;
  /** Where the walk is: decides what a def/class means (function, method, opaque). */
  mode: number;
  className: string;
  methods: BlockMetrics[];
  /** Greatest 1-based `ast` lineno recorded since the last reset (radon's `max_line`). */
  maxLine: number;
  functions: BlockMetrics[];
  classes: ClassRecord[];
}

export interface ComplexityResult {
  /** The blocks `radon cc -j` lists, in its order (stable sort by descending complexity). */
  blocks: BlockMetrics[];
  /** radon's `ComplexityVisitor.from_ast(module).total_complexity` (what `radon mi` uses). */
  total: number;
}

/** Both results of one walk; prefer this over calling computeBlocks and totalComplexity. */
export function analyzeComplexity(root: SyntaxNode): ComplexityResult {
  const cursor = root.walk();
  const state: WalkState = {
    cursor,
    tables: kindTables(root.tree.language),
    mode: MODULE,
    className: "",
    methods: [],
    maxLine: -Infinity,
    functions: [],
    classes: [],
  };
  let total: number;
  try {
    total = 1 + walkChildren(state, 0);
  } finally {
    cursor.delete();
  }
  const blocks: BlockMetrics[] = state.functions.slice();
  for (const record of state.classes) {
    total += record.real - 1;
    blocks.push(record.block);
    for (const method of record.methods) blocks.push(method);
  }
  for (const fn of state.functions) total += fn.complexity - 1;
  // radon's default order (SCORE): sorted() by -complexity, stable over the visitor's order.
  blocks.sort((a, b) => b.complexity - a.complexity);
  return { blocks, total };
}

/** Every block plain `radon cc -j FILE` lists: functions, classes, methods (not closures or inner classes). */
export function computeBlocks(root: SyntaxNode, source: string): BlockMetrics[] {
  void source;
  return analyzeComplexity(root).blocks;
}

/** The module's total complexity as radon's `ComplexityVisitor.total_complexity`. */
export function totalComplexity(root: SyntaxNode, source: string): number {
  void source;
  return analyzeComplexity(root).total;
}

function record(state: WalkState): void {
  const row = state.cursor.startPosition.row + 1;
  if (row > state.maxLine) state.maxLine = row;
}

/** Walks the node under the cursor; returns its decision points. The cursor ends where it began. */
function walk(state: WalkState): number {
  const cursor = state.cursor;
  switch (state.tables.kind[cursor.nodeTypeId]) {
    case Kind.Token:
    case Kind.Ignore:
      return 0;
    case Kind.Pass:
      return walkChildren(state, 0);
    case Kind.Leaf:
      record(state);
      return 0;
    case Kind.Branch:
      record(state);
      return 1 + walkChildren(state, 0);
    case Kind.Loop:
      record(state);
      return 1 + walkLoop(state);
    case Kind.ComprehensionFor:
    case Kind.ComprehensionIf:
      return 1 + walkChildren(state, 0);
    case Kind.Try:
      record(state);
      return walkTry(state);
    case Kind.Assert:
      return 1;
    case Kind.Attribute:
      record(state);
      return walkChildren(state, state.tables.fieldAttribute);
    case Kind.ImportFrom:
      record(state);
      return walkChildren(state, state.tables.fieldModuleName);
    case Kind.AsPattern:
      record(state);
      return walkChildren(state, state.tables.fieldAlias);
    case Kind.WithItem:
      return walkWithItem(state);
    case Kind.ConcatenatedString:
      record(state);
      return walkConcatenated(state);
    case Kind.CaseClause:
      return walkCase(state);
    case Kind.function_definition:
      return walkFunction(state);
    case Kind.class_definition:
      return walkClass(state);
    case Kind.decorated_definition:
      return walkDecorated(state);
    default:
      // Kind.Record and Kind.String: an `ast` node whose children may hold more.
      record(state);
      return walkChildren(state, 0);
  }
}

/** Walks every child except those in field `skipField` (0: none; tree-sitter field ids start at 1). */
function walkChildren(state: WalkState, skipField: number): number {
  const cursor = state.cursor;
  if (!cursor.gotoFirstChild()) return 0;
  let points = 0;
  do {
    if (skipField !== 0 && cursor.currentFieldId === skipField) continue;
    points += walk(state);
  } while (cursor.gotoNextSibling());
  cursor.gotoParent();
  return points;
}

function walkLoop(state: WalkState): number {
  const cursor = state.cursor;
  cursor.gotoFirstChild();
  let points = 0;
  do {
    if (cursor.nodeTypeId === state.tables.typeElseClause) points += 1;
    points += walk(state);
  } while (cursor.gotoNextSibling());
  cursor.gotoParent();
  return points;
}

/** radon counts `len(handlers) + bool(orelse)` for `Try` only; `except*` makes a TryStar, worth 0. */
function walkTry(state: WalkState): number {
  const cursor = state.cursor;
  cursor.gotoFirstChild();
  let points = 0;
  let branches = 0;
  let star = false;
  do {
    const type = cursor.nodeTypeId;
    if (type === state.tables.typeElseClause) branches += 1;
    else if (type === state.tables.typeExceptClause) {
      branches += 1;
      cursor.gotoFirstChild();
      if (cursor.gotoNextSibling() && !cursor.nodeIsNamed && cursor.nodeType === "*") star = true;
      cursor.gotoParent();
    }
    points += walk(state);
  } while (cursor.gotoNextSibling());
  cursor.gotoParent();
  return star ? points : points + branches;
}

/** In `with a as b`, `b` is a real target expression (unlike the alias in except/case). */
function walkWithItem(state: WalkState): number {
  const cursor = state.cursor;
  if (!cursor.gotoFirstChild()) return 0;
  let points = 0;
  do {
    if (state.tables.kind[cursor.nodeTypeId] === Kind.AsPattern) {
      record(state);
      points += walkChildren(state, 0);
    } else points += walk(state);
  } while (cursor.gotoNextSibling());
  cursor.gotoParent();
  return points;
}

/** The parts of `"a" f"{x}"` are one `ast` node; only their f-string expressions are seen. */
function walkConcatenated(state: WalkState): number {
  const cursor = state.cursor;
  if (!cursor.gotoFirstChild()) return 0;
  let points = 0;
  do {
    if (state.tables.kind[cursor.nodeTypeId] === Kind.String) points += walkChildren(state, 0);
    else points += walk(state);
  } while (cursor.gotoNextSibling());
  cursor.gotoParent();
  return points;
}

/** A match guard is not an `If`: its if_clause adds nothing, its expression still counts. */
function walkCase(state: WalkState): number {
  const cursor = state.cursor;
  if (!cursor.gotoFirstChild()) return 0;
  let points = 0;
  do {
    if (state.tables.kind[cursor.nodeTypeId] === Kind.ComprehensionIf) points += walkChildren(state, 0);
    else points += walk(state);
  } while (cursor.gotoNextSibling());
  cursor.gotoParent();
  return points;
}

/** Decorators are never visited by radon; the definition decides. */
function walkDecorated(state: WalkState): number {
  if (state.mode === FUNCTION) return 0;
  const cursor = state.cursor;
  cursor.gotoFirstChild();
  let points = 0;
  do {
    if (cursor.currentFieldId === state.tables.fieldDefinition) points += walk(state);
  } while (cursor.gotoNextSibling());
  cursor.gotoParent();
  return points;
}

/**
 * With the cursor on a def/class, reads its name and walks its body statements one by one
 * (`onStatement` after each, with `state.maxLine` reset before each). Returns the body's points.
 */
function walkBody(
  state: WalkState,
  isClass: boolean,
  onStatement: (maxLine: number) => void,
): { name: string; points: number } {
  const cursor = state.cursor;
  const { fieldName, fieldBody } = state.tables;
  let name = "";
  let points = 0;
  cursor.gotoFirstChild();
  do {
    const field = cursor.currentFieldId;
    if (field === fieldName) {
      name = cursor.nodeText;
      if (isClass) state.className = name;
    }
    else if (field === fieldBody && cursor.gotoFirstChild()) {
      do {
        const kind = state.tables.kind[cursor.nodeTypeId];
        if (kind === Kind.Token || kind === Kind.Ignore) continue;
        state.maxLine = -Infinity;
        points += walk(state);
        onStatement(state.maxLine);
      } while (cursor.gotoNextSibling());
      cursor.gotoParent();
    }
  } while (cursor.gotoNextSibling());
  cursor.gotoParent();
  return { name, points };
}

function walkFunction(state: WalkState): number {
  const mode = state.mode;
  if (mode === FUNCTION) return 0;
  const line = state.cursor.startPosition.row + 1;
  const savedMaxLine = state.maxLine;
  state.mode = FUNCTION;
  let lastMaxLine = -Infinity;
  const { name, points } = walkBody(state, false, (maxLine) => {
    lastMaxLine = maxLine;
  });
  state.mode = mode;
  state.maxLine = savedMaxLine;
  const complexity = 1 + points;
  const endLine = Math.max(line, lastMaxLine);
  if (mode === CLASS) {
    state.methods.push({ name: `${state.className}.${name}`, kind: "method", line, endLine, complexity });
    // A method's complexity is part of its class's (radon: visitor.functions_complexity + len).
    return complexity;
  }
  state.functions.push({ name, kind: "function", line, endLine, complexity });
  return 0;
}

function walkClass(state: WalkState): number {
  // Classes inside functions or other classes are neither listed nor counted by plain `radon cc`.
  if (state.mode !== MODULE) return 0;
  const line = state.cursor.startPosition.row + 1;
  const methods: BlockMetrics[] = [];
  state.mode = CLASS;
  state.methods = methods;
  let endLine = line;
  const { name, points } = walkBody(state, true, (maxLine) => {
    if (maxLine > endLine) endLine = maxLine;
  });
  state.mode = MODULE;
  for (const method of methods) {
    if (method.endLine > endLine) endLine = method.endLine;
  }
  const real = 1 + points;
  const complexity = methods.length === 0 ? real : Math.trunc(real / methods.length) + (methods.length > 1 ? 1 : 0);
  state.classes.push({ block: { name, kind: "class", line, endLine, complexity }, methods, real });
  return 0;
}
