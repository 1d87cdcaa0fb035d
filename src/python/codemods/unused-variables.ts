import type { Parser } from "web-tree-sitter";
import { parsePython, type SyntaxNode } from "../parse/parser.js";
import type { TextEdit } from "./edits.js";
import { hasNoqa, linesOf, walk } from "./names.js";
import { finishEdits, type CodemodResult } from "./result.js";
import { removeStatements } from "./statements.js";

export interface UnusedVariablesOptions {
  /** Only these names; every unused local when absent. */
  names?: ReadonlySet<string>;
}

/** Builtins that read a frame's locals by name: a function calling them may read any local. */
const DYNAMIC_LOCALS = new Set(["locals", "vars", "eval", "exec", "_getframe", "currentframe"]);
/** Operators that can raise on plain operands (ZeroDivisionError) or blow up memory (`**`, `<<`). */
const RISKY_OPERATORS = new Set(["/", "//", "%", "**", "<<", "@"]);

/**
 * Removes local assignments `name = value` (and `name: T = value`) whose name nothing in the
 * function reads. A value without side effects (literals, names, containers of those, arithmetic)
 * goes with the statement; a call, `await` or `yield` stays as an expression statement (`x = f()`
 * becomes `f()`). Other values (attribute reads, subscripts, ...) are left alone. Functions that
 * touch `locals()`/`vars()`/`eval`/`exec`/frames are skipped.
 */
export function removeUnusedVariables(parser: Parser, source: string, options: UnusedVariablesOptions = {}): CodemodResult {
  const tree = parsePython(parser, source);
  try {
    const root = tree.rootNode;
    if (root.hasError) return { source, changes: [] };
    const whole: SyntaxNode[] = [];
    const edits: TextEdit[] = [];
    const changes: string[] = [];
    walk(root, (node) => {
      if (node.type !== "function_definition") return true;
      const occurrences = identifierCounts(node);
      if ([...DYNAMIC_LOCALS].some((name) => occurrences.has(name))) return true;
      for (const assignment of ownAssignments(node)) {
        const target = assignment.childForFieldName("left")!;
        const value = assignment.childForFieldName("right")!;
        const name = target.text;
        if (name === "_" || name.startsWith("__") || occurrences.get(name) !== 1) continue;
        if (options.names && !options.names.has(name)) continue;
        const statement = assignment.parent!;
        if (hasNoqa(linesOf(source, statement), ["F841", "V107"])) continue;
        const line = `${name} (line ${target.startPosition.row + 1})`;
        if (isPure(value)) {
          whole.push(statement);
          changes.push(line);
        } else if (value.type === "call" || value.type === "await" || value.type === "yield") {
          edits.push({ start: assignment.startIndex, end: value.startIndex, text: "" });
          changes.push(line);
        }
      }
      return true;
    });
    edits.push(...removeStatements(source, whole));
    return finishEdits(parser, source, edits, changes);
  } finally {
    tree.delete();
  }
}

/** How often each identifier occurs anywhere in `node` (reads, writes, nested scopes, `global`). */
function identifierCounts(node: SyntaxNode): Map<string, number> {
  const counts = new Map<string, number>();
  walk(node, (child) => {
    if (child.type === "identifier") counts.set(child.text, (counts.get(child.text) ?? 0) + 1);
  });
  return counts;
}

/** Single-target assignment statements of this function's own scope (not of nested functions or classes). */
function ownAssignments(fn: SyntaxNode): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const body = fn.childForFieldName("body");
  if (!body) return found;
  walk(body, (node) => {
    if (node.type === "function_definition" || node.type === "class_definition" || node.type === "lambda") return false;
    if (node.type !== "expression_statement") return true;
    const only = node.namedChildren.filter((child) => child?.type !== "comment");
    const assignment = only.length === 1 ? only[0] : undefined;
    if (assignment?.type === "assignment" && assignment.childForFieldName("left")?.type === "identifier" && assignment.childForFieldName("right")) {
      const value = assignment.childForFieldName("right")!;
      if (value.type !== "assignment" && value.type !== "augmented_assignment") found.push(assignment);
    }
    return false;
  });
  return found;
}

/** True for values whose evaluation has no effect worth keeping: literals, names, containers and arithmetic of those. */
export function isPure(node: SyntaxNode): boolean {
  switch (node.type) {
    case "integer":
    case "float":
    case "true":
    case "false":
    case "none":
    case "ellipsis":
    case "identifier":
      return true;
    case "string":
      return !node.namedChildren.some((child) => child?.type === "interpolation");
    case "concatenated_string":
    case "tuple":
    case "list":
    case "set":
    case "parenthesized_expression":
    case "dictionary":
    case "pair":
      return node.namedChildren.every((child) => !child || child.type === "comment" || isPure(child));
    case "unary_operator":
    case "not_operator": {
      const argument = node.childForFieldName("argument");
      return !!argument && isPure(argument);
    }
    case "binary_operator":
    case "boolean_operator": {
      const operator = node.childForFieldName("operator")?.type ?? "";
      const left = node.childForFieldName("left");
      const right = node.childForFieldName("right");
      return !RISKY_OPERATORS.has(operator) && !!left && !!right && isPure(left) && isPure(right);
    }
    default:
      return false;
  }
}
