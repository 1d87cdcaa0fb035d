import type { Parser } from "web-tree-sitter";
import { parsePython, type SyntaxNode } from "../parse/parser.js";
import { indentationAt, lineStart, nextLineStart, onlyCommentAfter, type TextEdit } from "./edits.js";
import { readImport, removeImportElements, type ImportElement, type ImportStatement } from "./imports.js";
import { dunderAllNames, forwardReferenceWords, IMPORT_TYPES, readsNamespaceDynamically, walk } from "./names.js";
import { finishEdits, type CodemodResult } from "./result.js";
import { removeStatements, statementsOf } from "./statements.js";

export interface LazyImportOptions {
  /** Only this bound name; every movable import when absent. */
  name?: string;
  /** Only names whose module (as written) is this one or inside it (`json` covers `json.decoder`). */
  module?: string;
  /** Names other modules import from this one (`from this import json`): they must stay module attributes. */
  keep?: ReadonlySet<string>;
  /** Function names other modules of the project call in loops or pass as callbacks (see `repeatedCalls`): hot here too. */
  hotNames?: ReadonlySet<string>;
}

/** A module-level imported name that only function bodies read. */
export interface LazyImportCandidate {
  name: string;
  /** The module the import loads, as written (`os.path`, `.models`). */
  module: string;
  /** The statement to insert in each function (`import json`, `from os import path as p`). */
  importText: string;
  line: number;
  /** Qualified names of the functions that receive the import. */
  functions: string[];
}

/** Nodes through which an identifier is still a binding target (`a, (b, *c) = ...`). */
const PATTERN_TYPES = new Set(["pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "parenthesized_expression", "list_splat_pattern", "list_splat"]);
const BINDING_PARENTS = new Set([
  "global_statement",
  "nonlocal_statement",
  "function_definition",
  "class_definition",
  "parameters",
  "lambda_parameters",
  "default_parameter",
  "typed_parameter",
  "typed_default_parameter",
  "as_pattern_target",
  "keyword_pattern",
]);
const BINDING_STATEMENTS = new Set(["assignment", "augmented_assignment", "for_statement", "for_in_clause", "named_expression", "delete_statement"]);

/**
 * Finds module-level imports whose names are read only inside function bodies: not at module
 * level, not in decorators, default values or annotations (evaluated when `def` runs), not in class
 * bodies, never rebound or declared `global`, not in `__all__`, not in a forward-reference string.
 * Never into a function on a hot path (see `hotPath`): an import statement there runs on every
 * call, which costs more than the start-up time it saves.
 */
export function findLazyImports(parser: Parser, source: string, options: LazyImportOptions = {}): LazyImportCandidate[] {
  const tree = parsePython(parser, source);
  try {
    if (tree.rootNode.hasError) return [];
    return plan(tree.rootNode, source, options).map(({ name, importText, statement, index, targets }) => ({
      name,
      module: statement.kind === "from" ? statement.module : statement.elements[index]!.imported,
      importText,
      line: statement.node.startPosition.row + 1,
      functions: targets.map(qualifiedName),
    }));
  } finally {
    tree.delete();
  }
}

/**
 * Moves each movable module-level import into the top of the functions that use it (after the
 * docstring), removing it from the module. Whether that is worth it is for the import-time
 * measurement to decide.
 */
export function moveImportsIntoFunctions(parser: Parser, source: string, options: LazyImportOptions = {}): CodemodResult {
  const tree = parsePython(parser, source);
  try {
    if (tree.rootNode.hasError) return { source, changes: [] };
    const moves = plan(tree.rootNode, source, options);
    const edits: TextEdit[] = [];
    const changes: string[] = [];
    const removedByStatement = new Map<ImportStatement, Set<number>>();
    for (const move of moves) {
      const removed = removedByStatement.get(move.statement) ?? new Set<number>();
      removed.add(move.index);
      removedByStatement.set(move.statement, removed);
      for (const target of move.targets) edits.push(insertionAtTop(source, target, move.importText)!);
      changes.push(`${move.name} -> ${move.targets.map(qualifiedName).join(", ")}`);
    }
    const wholeStatements: SyntaxNode[] = [];
    for (const [statement, removed] of removedByStatement) {
      if (removed.size === statement.elements.length) wholeStatements.push(statement.node);
      else edits.push(...removeImportElements(source, statement, removed));
    }
    edits.push(...removeStatements(source, wholeStatements));
    return finishEdits(parser, source, edits, changes);
  } finally {
    tree.delete();
  }
}

interface Move {
  name: string;
  importText: string;
  statement: ImportStatement;
  index: number;
  targets: SyntaxNode[];
}

function plan(root: SyntaxNode, source: string, options: LazyImportOptions): Move[] {
  if (readsNamespaceDynamically(root)) return [];
  const exported = dunderAllNames(root);
  const uses = identifierUses(root);
  const repeated = new Set([...namesCalledRepeatedly(root), ...(options.hotNames ?? [])]);
  const moves: Move[] = [];
  for (const child of statementsOf(root)) {
    const statement = readImport(child);
    if (!statement || statement.star || statement.module === "__future__") continue;
    statement.elements.forEach((element, index) => {
      const name = element.bound;
      if (options.name !== undefined && options.name !== name) return;
      const module = statement.kind === "from" ? statement.module : element.imported;
      if (options.module !== undefined && module !== options.module && !module.startsWith(`${options.module}.`)) return;
      if (element.reexport || exported.has(name) || options.keep?.has(name)) return;
      const targets = functionTargets(uses.get(name) ?? []);
      if (!targets || targets.some((target) => !insertionAtTop(source, target, "") || hotPath(target, repeated) !== undefined)) return;
      moves.push({ name, importText: importText(statement, element), statement, index, targets });
    });
  }
  // A name bound by two module-level imports is ambiguous: leave both.
  const counts = new Map<string, number>();
  for (const child of statementsOf(root)) for (const element of readImport(child)?.elements ?? []) counts.set(element.bound, (counts.get(element.bound) ?? 0) + 1);
  return moves.filter((move) => counts.get(move.name) === 1);
}

/** Every identifier occurrence outside import statements; names in forward references map to the root (a module-level use). */
function identifierUses(root: SyntaxNode): Map<string, SyntaxNode[]> {
  const uses = new Map<string, SyntaxNode[]>();
  walk(root, (node) => {
    if (IMPORT_TYPES.has(node.type)) return false;
    if (node.type === "identifier") {
      const list = uses.get(node.text) ?? [];
      list.push(node);
      uses.set(node.text, list);
    } else {
      // A forward reference or type comment is resolved in module globals: the root stands for "used at module level".
      for (const word of forwardReferenceWords(node)) {
        const list = uses.get(word) ?? [];
        list.push(root);
        uses.set(word, list);
      }
    }
    return true;
  });
  return uses;
}

/**
 * The outermost functions whose bodies contain every read of the name, or undefined when some
 * occurrence is not a read inside a function body (module level, class body, decorator, default,
 * annotation, a binding, a string).
 */
function functionTargets(occurrences: readonly SyntaxNode[]): SyntaxNode[] | undefined {
  if (occurrences.length === 0) return undefined;
  const targets = new Map<number, SyntaxNode>();
  let reads = 0;
  for (const occurrence of occurrences) {
    if (occurrence.type !== "identifier") return undefined;
    const parent = occurrence.parent;
    if (parent?.type === "keyword_argument" && parent.childForFieldName("name")?.id === occurrence.id) continue;
    if (parent?.type === "attribute" && parent.childForFieldName("attribute")?.id === occurrence.id) continue;
    if (isBinding(occurrence)) return undefined;
    let outermost: SyntaxNode | undefined;
    for (let current = occurrence.parent; current; current = current.parent) {
      if (current.type !== "function_definition") continue;
      const body = current.childForFieldName("body");
      if (body && occurrence.startIndex >= body.startIndex && occurrence.endIndex <= body.endIndex) outermost = current;
      else outermost = undefined;
    }
    if (!outermost) return undefined;
    targets.set(outermost.id, outermost);
    reads++;
  }
  if (reads === 0) return undefined;
  return [...targets.values()].sort((a, b) => a.startIndex - b.startIndex);
}

function isBinding(identifier: SyntaxNode): boolean {
  let child = identifier;
  let parent = identifier.parent;
  while (parent && PATTERN_TYPES.has(parent.type)) {
    child = parent;
    parent = parent.parent;
  }
  if (!parent) return false;
  if (BINDING_PARENTS.has(parent.type)) return true;
  if (parent.type === "as_pattern" && parent.childForFieldName("alias")?.id === child.id) return true;
  if (BINDING_STATEMENTS.has(parent.type)) {
    const target = parent.childForFieldName("left") ?? parent.childForFieldName("name");
    return parent.type === "delete_statement" || target?.id === child.id;
  }
  return false;
}

/**
 * The edit inserting `text` as the first statement of the function: on the line after its
 * docstring, else on the line after the `def ...:` header (so comments that introduce the first
 * statement stay with it). Undefined when the body shares a line with the header or docstring.
 */
function insertionAtTop(source: string, fn: SyntaxNode, text: string): TextEdit | undefined {
  const body = fn.childForFieldName("body");
  const first = body ? statementsOf(body)[0] : undefined;
  if (!body || !first || source.slice(lineStart(source, first.startIndex), first.startIndex) !== indentationAt(source, first.startIndex)) return undefined;
  const docstring = first.type === "expression_statement" && first.namedChildren.length === 1 && first.namedChildren[0]?.type === "string";
  let after: number;
  if (docstring) after = first.endIndex;
  else {
    let colon: SyntaxNode | null = body.previousSibling;
    while (colon && colon.type !== ":") colon = colon.previousSibling;
    if (!colon) return undefined;
    after = colon.endIndex;
  }
  if (!onlyCommentAfter(source, after)) return undefined;
  const at = nextLineStart(source, after);
  const eol = source.includes("\r\n") ? "\r\n" : "\n";
  const newline = at === source.length && !source.endsWith("\n") ? eol : "";
  return { start: at, end: at, text: `${newline}${indentationAt(source, first.startIndex)}${text}${eol}` };
}

function importText(statement: ImportStatement, element: ImportElement): string {
  return statement.kind === "import" ? `import ${element.node.text}` : `from ${statement.module} import ${element.node.text}`;
}

function qualifiedName(fn: SyntaxNode): string {
  const names: string[] = [];
  for (let current: SyntaxNode | null = fn; current; current = current.parent) {
    if (current.type === "function_definition" || current.type === "class_definition") names.unshift(current.childForFieldName("name")?.text ?? "?");
  }
  return names.join(".");
}

const COMPREHENSIONS = new Set(["list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"]);

/**
 * Why a function is on a hot path, or undefined: a dunder method (`__iter__`, `__getitem__`,
 * `__eq__`... run by the language in loops), a generator (its body resumes once per item), or
 * a function whose name the module calls inside a loop or comprehension or hands to other code as
 * a callback (`map(f, ...)`, `key=f`). Names are matched by their last part, so `self.f()` in a
 * loop counts for every method `f`: an over-approximation, which only keeps an import in place.
 */
export function hotPath(fn: SyntaxNode, repeated: ReadonlySet<string>): string | undefined {
  const name = fn.childForFieldName("name")?.text ?? "";
  if (/^__\w+__$/.test(name)) return `${name} is a dunder method`;
  if (isGenerator(fn)) return `${name} is a generator`;
  if (repeated.has(name)) return `${name} is called in a loop or passed as a callback`;
  return undefined;
}

/** `namesCalledRepeatedly` of a source file; empty when it does not parse. */
export function repeatedCalls(parser: Parser, source: string): Set<string> {
  const tree = parsePython(parser, source);
  try {
    return tree.rootNode.hasError ? new Set() : namesCalledRepeatedly(tree.rootNode);
  } finally {
    tree.delete();
  }
}

/** Names called inside a loop or comprehension of the module, and names passed as arguments. */
export function namesCalledRepeatedly(root: SyntaxNode): Set<string> {
  const names = new Set<string>();
  const lastPart = (node: SyntaxNode | null): string | undefined =>
    node?.type === "identifier" ? node.text : node?.type === "attribute" ? node.childForFieldName("attribute")?.text : undefined;
  const visit = (node: SyntaxNode, inLoop: boolean): void => {
    if (node.type === "call" && inLoop) {
      const callee = lastPart(node.childForFieldName("function"));
      if (callee) names.add(callee);
    }
    if (node.type === "argument_list") {
      for (const argument of node.namedChildren) {
        const passed = argument?.type === "keyword_argument" ? argument.childForFieldName("value") : argument;
        const name = lastPart(passed ?? null);
        if (name) names.add(name);
      }
    }
    if (node.type === "function_definition") {
      // The body runs when the function is called, not once per iteration of a loop around the `def`.
      for (const child of node.namedChildren) if (child) visit(child, child.id === node.childForFieldName("body")?.id ? false : inLoop);
      return;
    }
    const loopBody = node.type === "for_statement" ? node.childForFieldName("body") : null;
    for (const child of node.namedChildren) {
      if (!child) continue;
      const looping = inLoop || node.type === "while_statement" || COMPREHENSIONS.has(node.type) || child.id === loopBody?.id;
      visit(child, looping);
    }
  };
  visit(root, false);
  return names;
}

function isGenerator(fn: SyntaxNode): boolean {
  let found = false;
  const body = fn.childForFieldName("body");
  if (!body) return false;
  walk(body, (node) => {
    if (found || node.type === "function_definition" || node.type === "lambda" || node.type === "class_definition") return false;
    if (node.type === "yield") found = true;
    return !found;
  });
  return found;
}
