/**
 * vulture's unreachable-code rules over tree-sitter nodes: statements after return/raise/continue/
 * break in the same block, `if`/`while` conditions that are constant (literals combined with
 * and/or/not), the `else` of an always-true condition, and constant ternaries. Pure functions: the
 * findings walk calls them as it passes each node.
 */
import type { AnalysisNode } from "../parse/flat-node.js";
import { typeOf } from "./nodes.js";
import { conditionIsAlwaysFalse, conditionIsAlwaysTrue } from "./conditions.js";

export interface UnreachableDraft {
  line: number;
  endLine: number;
  message: string;
  symbol: string;
}

const TERMINATORS: Record<string, string> = {
  return_statement: "return",
  raise_statement: "raise",
  continue_statement: "continue",
  break_statement: "break",
};

/**
 * `return`, `raise`, `continue` or `break` for a statement that ends its block's flow; `while` for
 * a `while` loop whose condition is always true and that no `break` leaves (vulture does not report
 * code after such a loop; nothing can reach it, so we do).
 */
export function terminatorOf(statement: AnalysisNode, type = typeOf(statement)): string | undefined {
  const terminator = TERMINATORS[type];
  if (terminator || type !== "while_statement") return terminator;
  const condition = statement.childForFieldName("condition");
  const body = statement.childForFieldName("body");
  if (!condition || !body || !conditionIsAlwaysTrue(condition)) return undefined;
  return breaksOut(body) ? undefined : "while";
}

/** Node types whose `break` statements belong to another loop or frame. */
const OWN_BREAK_SCOPES = new Set(["for_statement", "while_statement", "function_definition", "class_definition", "lambda"]);

/** True when a `break` in `body` leaves the loop whose body it is. */
function breaksOut(body: AnalysisNode): boolean {
  const stack: AnalysisNode[] = [body];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (typeOf(node) === "break_statement") return true;
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (OWN_BREAK_SCOPES.has(typeOf(child))) {
        // A nested loop's `else:` is outside that loop: its `break` leaves this one.
        const loopElse = typeOf(child) === "for_statement" || typeOf(child) === "while_statement" ? child.childForFieldName("alternative") : null;
        if (loopElse) stack.push(loopElse);
        continue;
      }
      // Only statements can hold a break; expressions are skipped.
      if (typeOf(child).endsWith("_statement") || typeOf(child).endsWith("_clause") || typeOf(child) === "block" || typeOf(child) === "decorated_definition") {
        stack.push(child);
      }
    }
  }
  return false;
}

/** The finding for the rest of `block` from `first`, the first statement after `terminator`. */
export function afterTerminator(block: AnalysisNode, first: AnalysisNode, terminator: string): UnreachableDraft {
  return {
    line: startLine(first),
    endLine: endLine(lastStatement(block) ?? first),
    message: `unreachable code after '${terminator}'`,
    symbol: terminator,
  };
}

export interface IfClause {
  condition: AnalysisNode;
  /** The condition's node type, read once (a wasm call). */
  conditionType: string;
  body: AnalysisNode;
  /** Line of the `if` or `elif` keyword. */
  start: number;
}

/** An `if` statement as vulture's AST sees it: the `if` and each `elif` as clauses, then `else`. */
export interface IfChain {
  clauses: IfClause[];
  elseBody: AnalysisNode | undefined;
  /** Comments directly in the `if` statement (between its header and body: type comments). */
  comments: AnalysisNode[];
}

/**
 * Reads the chain from the statement's named children by their types, one wasm read each, instead
 * of field lookups (a wasm call and a new node object each). In the grammar the condition is the
 * first named child that is not an extra (comment, line continuation), the consequence the only
 * block, and the alternatives the elif/else clauses, in order.
 */
export function ifChain(node: AnalysisNode): IfChain {
  const chain: IfChain = { clauses: [], elseBody: undefined, comments: [] };
  let condition: AnalysisNode | undefined;
  let conditionType = "";
  let body: AnalysisNode | undefined;
  const elifs: IfClause[] = [];
  for (const child of node.namedChildren) {
    if (!child) continue;
    const type = typeOf(child);
    if (type === "comment") chain.comments.push(child);
    else if (type === "line_continuation") continue;
    else if (!condition) {
      condition = child;
      conditionType = type;
    } else if (type === "block") body ??= child;
    else if (type === "elif_clause") {
      const clause = conditionAndBlock(child);
      if (clause) elifs.push({ ...clause, start: startLine(child) });
    } else if (type === "else_clause") {
      chain.elseBody = firstOfType(child, "block");
    }
  }
  if (condition && body) chain.clauses.push({ condition, conditionType, body, start: startLine(node) });
  chain.clauses.push(...elifs);
  return chain;
}

/** The condition (first non-extra named child) and the block of an `elif`. */
function conditionAndBlock(node: AnalysisNode): Omit<IfClause, "start"> | undefined {
  let condition: AnalysisNode | undefined;
  let conditionType = "";
  let body: AnalysisNode | undefined;
  for (const child of node.namedChildren) {
    if (!child) continue;
    const type = typeOf(child);
    if (type === "comment" || type === "line_continuation") continue;
    if (!condition) {
      condition = child;
      conditionType = type;
    } else if (type === "block") {
      body ??= child;
    }
  }
  return condition && body ? { condition, conditionType, body } : undefined;
}

function firstOfType(node: AnalysisNode, type: string): AnalysisNode | undefined {
  for (const child of node.namedChildren) if (child && typeOf(child) === type) return child;
  return undefined;
}

export function constantIf(chain: IfChain): UnreachableDraft[] {
  const { clauses, elseBody } = chain;
  const drafts: UnreachableDraft[] = [];
  const lastBody = elseBody ?? clauses[clauses.length - 1]?.body;
  for (let index = 0; index < clauses.length; index++) {
    const clause = clauses[index] as IfClause;
    if (conditionIsAlwaysFalse(clause.condition, clause.conditionType)) {
      drafts.push({ line: clause.start, endLine: blockEnd(clause.body), message: "unsatisfiable 'if' condition", symbol: "if" });
    } else if (conditionIsAlwaysTrue(clause.condition, clause.conditionType)) {
      // vulture's "redundant if-condition" (`if True:` without else) is not unreachable code: omitted.
      const next = clauses[index + 1];
      const elseStart = next ? next.start : elseBody ? firstStatementLine(elseBody) : undefined;
      if (elseStart !== undefined && lastBody) {
        drafts.push({ line: elseStart, endLine: blockEnd(lastBody), message: "unreachable 'else' block", symbol: "else" });
      }
    }
  }
  return drafts;
}

export function constantWhile(node: AnalysisNode): UnreachableDraft[] {
  const condition = node.childForFieldName("condition");
  const body = node.childForFieldName("body");
  if (!condition || !body) return [];
  if (conditionIsAlwaysFalse(condition)) {
    return [{ line: startLine(node), endLine: blockEnd(body), message: "unsatisfiable 'while' condition", symbol: "while" }];
  }
  const elseBody = node.childForFieldName("alternative")?.childForFieldName("body");
  // `while True: ... else:` — the else runs only when the condition turns false, which it never does.
  if (elseBody && conditionIsAlwaysTrue(condition)) {
    return [{ line: firstStatementLine(elseBody), endLine: blockEnd(elseBody), message: "unreachable 'else' block", symbol: "else" }];
  }
  return [];
}

/** `a if COND else b` given its significant children (body, condition, alternative). */
export function constantTernary(node: AnalysisNode, parts: AnalysisNode[]): UnreachableDraft[] {
  const [body, condition, alternative] = parts;
  if (!body || !condition || !alternative) return [];
  if (conditionIsAlwaysFalse(condition)) {
    return [{ line: startLine(node), endLine: endLine(body), message: "unsatisfiable 'ternary' condition", symbol: "ternary" }];
  }
  if (conditionIsAlwaysTrue(condition)) {
    return [{ line: startLine(alternative), endLine: endLine(alternative), message: "unreachable 'else' expression", symbol: "ternary" }];
  }
  return [];
}

function startLine(node: AnalysisNode): number {
  return node.startPosition.row + 1;
}

function endLine(node: AnalysisNode): number {
  return node.endPosition.row + 1;
}

function blockEnd(block: AnalysisNode): number {
  return endLine(lastStatement(block) ?? block);
}

function lastStatement(block: AnalysisNode): AnalysisNode | undefined {
  const children = block.namedChildren;
  for (let index = children.length - 1; index >= 0; index--) {
    const child = children[index];
    if (child && typeOf(child) !== "comment") return child;
  }
  return undefined;
}

function firstStatementLine(block: AnalysisNode): number {
  for (const child of block.namedChildren) if (child && typeOf(child) !== "comment") return startLine(child);
  return startLine(block);
}
