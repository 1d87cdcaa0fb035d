import type { AnalysisCursor, AnalysisNode } from "../parse/flat-node.js";
import type { BlockMetrics } from "../types.js";
import { Kind, kindTables, Role, ROLE_TYPES, roleTable, type KindTables } from "./complexity-kinds.js";
import { statementMaxLine } from "./complexity-lines.js";

/**
 * Cyclomatic complexity exactly as radon 5.1.0 (`radon cc`, Python 3.11 `ast`) computes it. The
 * rules, ported from radon's `ComplexityVisitor` (radon/visitors.py):
 *  - +1 per if/elif, conditional expression, for/async for/while (+1 more with `else`), `and`/`or`
 *    operator (a BoolOp of n values adds n-1, i.e. one per operator token), comprehension `for`
 *    and comprehension `if`, `except` handler, `try ... else`, `assert` (whose operands radon
 *    never visits). Nothing for with, lambda itself, match/case and guards, `except*` (radon
 *    knows no TryStar), finally.
 *  - A function is 1 + the decision points of its body; nested defs and classes in it are opaque
 *    to it (a closure never adds to the outer function). Closures (defs in a listed function or
 *    method, recursively) are what `radon cc -j` nests under `closures`: scored like functions,
 *    named as `radon cc --show-closures` prints them (`outer.inner`, and `method.inner` for a
 *    closure of `Class.method`), listed apart from the blocks. Classes in functions and their
 *    methods are listed by neither.
 *    Decorators, parameters and their defaults, annotations and class bases are never visited.
 *  - A class's real complexity is 1 + its body's decision points + its methods' complexities
 *    (methods = defs anywhere in its body outside nested defs/classes); radon reports `real`
 *    when it has no methods, else `trunc(real / methods) + (methods > 1)`. Nested classes are
 *    neither listed nor counted.
 *  - Lines: `line` is the def/class line; a function's `endLine` is radon's `max_line` of its LAST
 *    body statement, or the def line when that is -inf (a nested def/class or an assert); a
 *    class's is the greatest over all body statements and its methods' endLines.
 *
 * Speed: one native `descendantsOfType` walk fetches only the nodes that matter (decision
 * points, defs, classes, decorators, asserts), in document order; a stack of open scopes (by end
 * offset) says which scope each belongs to. Line ends touch one path per scope
 * (complexity-lines.ts). No JS-side walk over every node.
 */

const MODULE = 0;
const FUNCTION = 1;
const CLASS = 2;
/** A region radon never visits: decorators, asserts, nested defs/classes it does not list. */
const OPAQUE = 3;
/** A def inside a function or method: scored like a function, not counted in its parent. */
const CLOSURE = 4;

interface Scope {
  kind: number;
  /** Exclusive end offset of the scope's node. */
  end: number;
  /** Decision points before this offset (a def/class header: parameters, bases) are not visited. */
  bodyStart: number;
  points: number;
  /** The listed block (function, method or class); null for the module and opaque regions. */
  block: BlockMetrics | null;
  /** For a method: its class's scope. */
  owner: Scope | null;
  /** For a class: its methods in radon's order. */
  methods: BlockMetrics[];
  /** For a function, method or closure: the name its closures' names start with. */
  closurePrefix: string;
}

export interface ComplexityResult {
  /** The blocks `radon cc -j` lists, in its order (stable sort by descending complexity). */
  blocks: BlockMetrics[];
  /** radon's `ComplexityVisitor.from_ast(module).total_complexity` (what `radon mi` uses). */
  total: number;
  /** Nested functions of listed functions and methods, by descending complexity, then source order. */
  closures: BlockMetrics[];
}

interface ClassRecord {
  scope: Scope;
  block: BlockMetrics;
}

/**
 * One scan per tree: computeBlocks and totalComplexity on the same tree share it. Keyed by the
 * Tree object, valid because the analyzers never edit a tree (an edited tree would need a
 * fresh parse anyway). The cached blocks are shared: treat them as read-only.
 */
const resultsByTree = new WeakMap<object, { rootId: number; result: ComplexityResult }>();

/** Blocks and module total from one scan of the module's tree (cached per tree). */
export function analyzeComplexity(root: AnalysisNode): ComplexityResult {
  const cached = resultsByTree.get(root.tree);
  if (cached !== undefined && cached.rootId === root.id) return cached.result;
  const result = scanModule(root);
  resultsByTree.set(root.tree, { rootId: root.id, result });
  return result;
}

function scanModule(root: AnalysisNode): ComplexityResult {
  const language = root.tree.language;
  const roles = roleTable(language);
  const tables = kindTables(language);
  const cursor = root.walk();
  const functions: BlockMetrics[] = [];
  const closures: BlockMetrics[] = [];
  const classes: ClassRecord[] = [];
  const module = newScope(MODULE, Number.POSITIVE_INFINITY, 0, null, null);
  const stack: Scope[] = [module];
  /** Ids of try statements whose handlers are `except*`. */
  let starTries: Set<number> | null = null;

  try {
    for (const node of root.descendantsOfType(ROLE_TYPES as string[])) {
      const start = node.startIndex;
      while (stack[stack.length - 1].end <= start) finish(stack.pop()!);
      const scope = stack[stack.length - 1];
      if (scope.kind === OPAQUE || start < scope.bodyStart) continue;
      switch (roles[node.typeId]) {
        case Role.PlusOne:
          scope.points += 1;
          break;
        case Role.IfClause:
          if (node.parent?.type !== "case_clause") scope.points += 1;
          break;
        case Role.ElseClause: {
          const parent = node.parent;
          const type = parent?.type;
          if (type === "for_statement" || type === "while_statement") scope.points += 1;
          else if (type === "try_statement" && !starTries?.has(parent!.id)) scope.points += 1;
          break;
        }
        case Role.ExceptClause:
          if (node.child(1)?.type === "*") (starTries ??= new Set()).add(node.parent!.id);
          else scope.points += 1;
          break;
        case Role.Assert:
          scope.points += 1;
          stack.push(newScope(OPAQUE, node.endIndex, 0, null, null));
          break;
        case Role.Decorator:
          stack.push(newScope(OPAQUE, node.endIndex, 0, null, null));
          break;
        case Role.FunctionDefinition:
          stack.push(scope.kind === FUNCTION || scope.kind === CLOSURE ? openClosure(node, scope) : openFunction(node, scope));
          break;
        case Role.ClassDefinition:
          stack.push(scope.kind === MODULE ? openClass(node) : newScope(OPAQUE, node.endIndex, 0, null, null));
          break;
      }
    }
    while (stack.length > 1) finish(stack.pop()!);
  } finally {
    cursor.delete();
  }

  function openFunction(node: AnalysisNode, parent: Scope): Scope {
    const body = node.childForFieldName("body");
    const line = node.startPosition.row + 1;
    const name = node.childForFieldName("name")?.text ?? "";
    const endLine = body ? Math.max(line, lastStatementLine(cursor, tables, body, false)) : line;
    if (parent.kind === CLASS) {
      const block: BlockMetrics = { name: `${parent.block!.name}.${name}`, kind: "method", line, endLine, complexity: 1 };
      parent.methods.push(block);
      const method = newScope(FUNCTION, node.endIndex, body?.startIndex ?? node.endIndex, block, parent);
      // radon names a method's closures after the method alone: `m.helper` in `class A`.
      method.closurePrefix = name;
      return method;
    }
    const block: BlockMetrics = { name, kind: "function", line, endLine, complexity: 1 };
    functions.push(block);
    const scope = newScope(FUNCTION, node.endIndex, body?.startIndex ?? node.endIndex, block, null);
    scope.closurePrefix = name;
    return scope;
  }

  function openClosure(node: AnalysisNode, parent: Scope): Scope {
    const body = node.childForFieldName("body");
    const line = node.startPosition.row + 1;
    const name = `${parent.closurePrefix}.${node.childForFieldName("name")?.text ?? ""}`;
    const endLine = body ? Math.max(line, lastStatementLine(cursor, tables, body, false)) : line;
    const block: BlockMetrics = { name, kind: "function", line, endLine, complexity: 1 };
    closures.push(block);
    const scope = newScope(CLOSURE, node.endIndex, body?.startIndex ?? node.endIndex, block, null);
    scope.closurePrefix = name;
    return scope;
  }

  function openClass(node: AnalysisNode): Scope {
    const body = node.childForFieldName("body");
    const line = node.startPosition.row + 1;
    const name = node.childForFieldName("name")?.text ?? "";
    const endLine = body ? Math.max(line, lastStatementLine(cursor, tables, body, true)) : line;
    const block: BlockMetrics = { name, kind: "class", line, endLine, complexity: 1 };
    const scope = newScope(CLASS, node.endIndex, body?.startIndex ?? node.endIndex, block, null);
    classes.push({ scope, block });
    return scope;
  }

  function finish(scope: Scope): void {
    const block = scope.block;
    if (block === null) return;
    if (scope.kind === CLOSURE) {
      block.complexity = 1 + scope.points;
      return;
    }
    if (scope.kind === FUNCTION) {
      block.complexity = 1 + scope.points;
      // A method's complexity is part of its class's (radon: functions_complexity + len(functions)).
      if (scope.owner !== null) scope.owner.points += block.complexity;
      return;
    }
    // A class's points include its methods' complexities: radon's real_complexity is 1 + points.
    const real = 1 + scope.points;
    const methods = scope.methods;
    block.complexity = methods.length === 0 ? real : Math.trunc(real / methods.length) + (methods.length > 1 ? 1 : 0);
    for (const method of methods) if (method.endLine > block.endLine) block.endLine = method.endLine;
  }

  let total = 1 + module.points;
  const blocks: BlockMetrics[] = functions.slice();
  for (const fn of functions) total += fn.complexity - 1;
  for (const { scope, block } of classes) {
    total += scope.points; // real_complexity - 1
    blocks.push(block);
    for (const method of scope.methods) blocks.push(method);
  }
  // radon's default order (SCORE): sorted() by -complexity, stable over the visitor's order.
  blocks.sort((a, b) => b.complexity - a.complexity);
  closures.sort((a, b) => b.complexity - a.complexity);
  return { blocks, total, closures };
}

function newScope(kind: number, end: number, bodyStart: number, block: BlockMetrics | null, owner: Scope | null): Scope {
  return { kind, end, bodyStart, points: 0, block, owner, methods: [], closurePrefix: "" };
}

/**
 * radon's end line contribution of a body: for a function, `max_line` of the last statement
 * only; for a class, the greatest over all statements, i.e. that of the last statement that
 * has one (statements follow each other, so a later line always wins).
 */
function lastStatementLine(cursor: AnalysisCursor, tables: KindTables, body: AnalysisNode, isClass: boolean): number {
  cursor.reset(body);
  if (!cursor.gotoLastChild()) return Number.NEGATIVE_INFINITY;
  let line = Number.NEGATIVE_INFINITY;
  do {
    const kind = tables.kind[cursor.nodeTypeId];
    if (kind === Kind.Token || kind === Kind.Ignore) continue;
    line = statementMaxLine(cursor, tables);
    if (!isClass) break;
  } while (line === Number.NEGATIVE_INFINITY && cursor.gotoPreviousSibling());
  return line;
}

/** Every block plain `radon cc -j FILE` lists: functions, classes, methods (not closures or inner classes). */
export function computeBlocks(root: AnalysisNode, source: string): BlockMetrics[] {
  void source;
  return analyzeComplexity(root).blocks.slice();
}

/** The module's total complexity as radon's `ComplexityVisitor.total_complexity`. */
export function totalComplexity(root: AnalysisNode, source: string): number {
  void source;
  return analyzeComplexity(root).total;
}
