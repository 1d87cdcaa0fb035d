/**
 * Assignment targets: what a `name = ...`, `a, b = ...`, `for x in`, `with ... as x` or
 * `self.attr = ...` binds, recorded as unused-local candidates (function scope), module variables
 * or class attributes.
 */
import type { AnalysisNode } from "../parse/flat-node.js";
import { typeOf, typeOfMaybe } from "./nodes.js";
import { isDunder, isSunder } from "./conventions.js";
import type { ModuleState } from "./module-state.js";
import { identifierAt } from "./strings.js";

export type BindMode = "assign" | "unpack" | "loop" | "comprehension" | "with" | "capture";

export interface BindingContext {
  state: ModuleState;
  /** The module's source: identifier names are read from it (`node.text` is a wasm call). */
  source: string;
  /** Visits an expression that is read, not bound (an attribute's object, a subscript); `type` when already read. */
  visit(node: AnalysisNode, type?: string): void;
}

/**
 * Binds an assignment target. Only a plain `name = value` in a function becomes an unused-local
 * candidate: unpacking, loop, `with` and pattern targets are rebinding conventions (`for _ in`,
 * `a, _ = pair`) whose fix is a rename, not a deletion.
 */
export function bindTarget(
  target: AnalysisNode,
  mode: BindMode,
  statement: AnalysisNode,
  context: BindingContext,
  annotatedOnly = false,
  type = typeOf(target),
): void {
  switch (type) {
    case "identifier":
      bindName(target, mode, statement, context, annotatedOnly);
      return;
    case "pattern_list":
    case "tuple_pattern":
    case "list_pattern":
    case "tuple":
    case "list":
    case "expression_list":
      for (const child of significant(target)) bindTarget(child, mode === "assign" ? "unpack" : mode, statement, context);
      return;
    case "parenthesized_expression":
      for (const child of significant(target)) bindTarget(child, mode, statement, context);
      return;
    case "list_splat_pattern":
    case "list_splat":
      for (const child of significant(target)) bindTarget(child, mode === "assign" ? "unpack" : mode, statement, context);
      return;
    case "attribute":
      bindAttribute(target, statement, context);
      return;
    default:
      context.visit(target, type);
  }
}

function bindName(target: AnalysisNode, mode: BindMode, statement: AnalysisNode, context: BindingContext, annotatedOnly: boolean): void {
  const state = context.state;
  const name = identifierAt(context.source, target.startIndex);
  const scope = state.scope;
  if (mode === "comprehension" || mode === "capture") return;
  if (scope.kind === "function") {
    if (mode === "assign" && !annotatedOnly) {
      const value = typeOf(statement) === "assignment" ? statement.childForFieldName("right") : null;
      scope.candidates.push({
        name,
        line: line(target),
        endLine: endLine(statement),
        kind: "assignment",
        ...(value && constructs(value) ? { constructs: true } : {}),
        ...(value && takesFromContainer(value) ? { holdsReference: true } : {}),
        ...(value && statement.childForFieldName("type") ? { annotated: true } : {}),
      });
    }
  } else if (scope.kind === "module") {
    if (annotatedOnly) return;
    state.define({ name, kind: "variable", line: line(target), endLine: endLine(statement), confidence: 60, implicitlyUsed: isDunder(name) });
  } else if (mode === "assign" || mode === "unpack") {
    // Annotated class fields are declarations (dataclass, NamedTuple, TypedDict, Protocol):
    // generated constructors and structural typing use them without naming them.
    const annotated = typeOf(statement) === "assignment" && statement.childForFieldName("type") !== null;
    state.define({
      name: `${scope.qualName}.${name}`,
      kind: "attribute",
      line: line(target),
      endLine: endLine(statement),
      confidence: 60,
      implicitlyUsed: isDunder(name) || isSunder(name) || annotated || scope.enumLike,
    });
  }
}

/** `self.x = ...` in a method (or a function nested in one) defines attribute `Class.x`. */
function bindAttribute(target: AnalysisNode, statement: AnalysisNode, context: BindingContext): void {
  const object = target.childForFieldName("object");
  const attribute = target.childForFieldName("attribute");
  if (object) context.visit(object);
  const scope = context.state.functionScope();
  if (object && typeOf(object) === "identifier" && attribute && scope?.selfName && identifierAt(context.source, object.startIndex) === scope.selfName && scope.className) {
    const name = identifierAt(context.source, attribute.startIndex);
    context.state.define({
      name: `${scope.className}.${name}`,
      kind: "attribute",
      line: line(target),
      endLine: endLine(statement),
      confidence: 60,
      implicitlyUsed: isDunder(name) || isSunder(name),
    });
  }
}

/** Values that create or hold objects (calls, comprehensions, non-empty displays, lambdas). */
const CONSTRUCTIONS = new Set(["call", "await", "lambda", "list_comprehension", "dictionary_comprehension", "set_comprehension", "generator_expression"]);
const DISPLAYS = new Set(["list", "dictionary", "set", "tuple"]);

function constructs(value: AnalysisNode): boolean {
  const type = typeOf(value);
  return CONSTRUCTIONS.has(type) || (DISPLAYS.has(type) && value.namedChildren.some((child) => child && typeOf(child) !== "comment"));
}

/** `container[key]`, `container.pop(...)`, `.popitem()`, `.popleft()`. */
function takesFromContainer(value: AnalysisNode): boolean {
  const type = typeOf(value);
  if (type === "subscript") return true;
  if (type !== "call") return false;
  const callee = value.childForFieldName("function");
  return !!callee && typeOf(callee) === "attribute" && /^(pop|popitem|popleft)$/.test(callee.childForFieldName("attribute")?.text ?? "");
}

function line(node: AnalysisNode): number {
  return node.startPosition.row + 1;
}

function endLine(node: AnalysisNode): number {
  return node.endPosition.row + 1;
}

function significant(node: AnalysisNode): AnalysisNode[] {
  const result: AnalysisNode[] = [];
  for (const child of node.namedChildren) if (child && typeOf(child) !== "comment") result.push(child);
  return result;
}
