import type { SyntaxNode } from "../../parse/parser.js";
import { nextLineStart } from "../edits.js";
import { readImport } from "../imports.js";
import { forwardReferenceWords, walk } from "../names.js";
import { isPure } from "../unused-variables.js";

/**
 * What a top-level statement is to the split:
 * - header: module docstring and `from __future__` imports (go to `__init__.py`; future imports to every file)
 * - import: a plain import statement, copied into each part that reads one of its names
 * - import-block: `if TYPE_CHECKING:` or a try/if made only of imports and constant assignments, copied likewise
 * - all: a statement that builds `__all__` (stays in `__init__.py`)
 * - main: `if __name__ == "__main__":` (goes to `__main__.py`)
 * - definition: everything else (functions, classes, constants, side-effect statements): partitioned
 */
export type UnitKind = "header" | "import" | "import-block" | "all" | "main" | "definition";

export interface Unit {
  index: number;
  kind: UnitKind;
  /** The statements of the unit (several when they share a line through `;`). */
  nodes: SyntaxNode[];
  /** Text range: from the first comment attached above to the end of the last line. */
  start: number;
  end: number;
  /** Every name the unit may bind at module level. */
  defines: Set<string>;
  /** The names it binds on every path (not only in a loop, an `if` without `else`, one `try` branch). */
  certain: Set<string>;
  /** Names it unbinds with a module-level `del`. */
  deletes: Set<string>;
  /** Names its functions declare `global` (rebound at run time). */
  globals: Set<string>;
  references: Set<string>;
  lines: number;
  /** The defined name a part may be named after, with what it is. */
  label: { name: string; kind: "class" | "function" | "other" };
}

export interface ModuleUnits {
  units: Unit[];
  /** Why the module cannot be split safely, when it cannot. */
  refusal?: string;
}

/** Names whose use ties code to the module's own file or namespace: moving it would change behaviour. */
const LOCATION_NAMES = new Set(["__file__", "__path__", "__spec__", "__loader__", "__cached__", "globals"]);

/**
 * Cuts a module into units: each top-level statement with the comments directly above it (a
 * comment run belongs to the statement after it; comments at the end of the file to the last
 * statement), statements sharing a line merged, so that concatenating every unit's text gives back
 * the module (apart from blank lines between units).
 */
export function moduleUnits(root: SyntaxNode, source: string): ModuleUnits {
  const units: Unit[] = [];
  let pending: SyntaxNode[] = [];
  let refusal: string | undefined;
  for (const child of root.namedChildren) {
    if (!child) continue;
    const last = units[units.length - 1];
    if (child.type === "comment") {
      if (last && child.startPosition.row === last.nodes[last.nodes.length - 1]!.endPosition.row) continue;
      pending.push(child);
      continue;
    }
    if (last && child.startPosition.row === last.nodes[last.nodes.length - 1]!.endPosition.row) {
      last.nodes.push(child);
      last.end = nextLineStart(source, child.endIndex);
      continue;
    }
    const start = (pending[0] ?? child).startIndex;
    pending = [];
    units.push({
      index: units.length,
      kind: "definition",
      nodes: [child],
      start: source.lastIndexOf("\n", start - 1) + 1,
      end: nextLineStart(source, child.endIndex),
      defines: new Set(),
      certain: new Set(),
      deletes: new Set(),
      globals: new Set(),
      references: new Set(),
      lines: 0,
      label: { name: "", kind: "other" },
    });
  }
  const tail = units[units.length - 1];
  if (tail && pending.length > 0) tail.end = nextLineStart(source, pending[pending.length - 1]!.endIndex);

  let headerOpen = true;
  for (const unit of units) {
    unit.kind = classify(unit, headerOpen);
    if (unit.kind !== "header") headerOpen = false;
    for (const node of unit.nodes) {
      collectBindings(node, unit.defines);
      for (const name of certainBindings(node)) unit.certain.add(name);
      collectReferences(node, unit.references);
      collectDeletesAndGlobals(node, unit.deletes, unit.globals);
      walk(node, (child) => {
        if (child.type === "wildcard_import") refusal ??= `line ${child.startPosition.row + 1} has a star import, so the names each part needs are unknown`;
        return child.type !== "function_definition";
      });
      const defined = node.type === "decorated_definition" ? node.childForFieldName("definition") : node;
      const name = defined?.childForFieldName("name")?.text;
      if (name && defined?.type === "function_definition" && (name === "__getattr__" || name === "__dir__")) refusal ??= `module-level ${name} must stay in the module`;
      if (defined?.type === "class_definition" && name) unit.label = { name, kind: "class" };
      else if (defined?.type === "function_definition" && name && unit.label.kind !== "class") unit.label = { name, kind: "function" };
      else if (unit.label.name === "" && unit.defines.size > 0) unit.label = { name: [...unit.defines][0]!, kind: "other" };
    }
    for (const name of unit.references) if (LOCATION_NAMES.has(name)) refusal ??= `the module uses ${name}, which would change meaning in a submodule`;
    if (unit.kind !== "main") {
      for (const node of unit.nodes) {
        const use = moduleLevelNameUse(node);
        if (use) refusal ??= `line ${use.startPosition.row + 1} hands __name__ to module-level code (it may create module globals by name)`;
      }
    }
    // The unit's footprint: its lines plus the blank lines before it, so parts are measured as they will print.
    const previousEnd = units[unit.index - 1]?.end ?? unit.start;
    unit.lines = source.slice(previousEnd, unit.end).split("\n").length - 1 || 1;
  }
  // An import that rebinds a name some definition binds (`def reduce` then `try: from _functools import reduce`)
  // is part of that definition's story: it must stay with it, in source order, so it becomes a definition.
  const definedByCode = new Set(units.filter((unit) => unit.kind === "definition").flatMap((unit) => [...unit.defines]));
  // Likewise a block that reads a definition's name (`if _LINUX: GETTERS = [...]`) runs after that definition.
  for (const unit of units) {
    if (unit.kind !== "import" && unit.kind !== "import-block") continue;
    if ([...unit.defines].some((name) => definedByCode.has(name)) || (unit.kind === "import-block" && [...unit.references].some((name) => definedByCode.has(name)))) {
      unit.kind = "definition";
    }
  }
  return refusal === undefined ? { units } : { units, refusal };
}

function classify(unit: Unit, headerOpen: boolean): UnitKind {
  const node = unit.nodes[0]!;
  if (unit.nodes.length === 1) {
    if (headerOpen && node.type === "expression_statement" && node.namedChildren[0]?.type === "string" && node.namedChildren.length === 1) return "header";
    if (node.type === "future_import_statement") return "header";
    if (node.type === "import_statement" || node.type === "import_from_statement") return "import";
    if (node.type === "if_statement" && /^__name__\s*==\s*["']__main__["']$/.test(node.childForFieldName("condition")?.text ?? "")) return "main";
    if ((node.type === "if_statement" || node.type === "try_statement") && onlyImportsAndConstants(node)) return "import-block";
  }
  if (unit.nodes.every((statement) => statement.type === "expression_statement" && /^__all__\b/.test(statement.text))) return "all";
  return "definition";
}

/** True when every statement inside is an import, `pass`, or a name bound to a constant (`HAS_X = False`). */
function onlyImportsAndConstants(node: SyntaxNode): boolean {
  let ok = true;
  walk(node, (child) => {
    if (!ok) return false;
    switch (child.type) {
      case "import_statement":
      case "import_from_statement":
      case "pass_statement":
      case "comment":
        return false;
      case "expression_statement": {
        const assignment = child.namedChildren[0];
        const value = assignment?.childForFieldName("right");
        ok = assignment?.type === "assignment" && assignment.childForFieldName("left")?.type === "identifier" && !!value && isPure(value);
        return false;
      }
      case "function_definition":
      case "class_definition":
      case "decorated_definition":
      case "raise_statement":
        ok = false;
        return false;
      default:
        return true;
    }
  });
  return ok;
}

/** Names a top-level statement binds in the module namespace (not inside function or class bodies). */
export function collectBindings(node: SyntaxNode, out: Set<string>): void {
  switch (node.type) {
    case "function_definition":
    case "class_definition": {
      const name = node.childForFieldName("name")?.text;
      if (name) out.add(name);
      return;
    }
    case "import_statement":
    case "import_from_statement":
      for (const element of readImport(node)?.elements ?? []) out.add(element.bound);
      return;
    case "assignment":
    case "augmented_assignment":
    case "for_statement":
    case "for_in_clause": {
      const left = node.childForFieldName("left");
      if (left) targetNames(left, out);
      break;
    }
    case "named_expression": {
      const name = node.childForFieldName("name")?.text;
      if (name) out.add(name);
      break;
    }
    case "as_pattern_target":
      // `except E as e` unbinds e when the handler ends; only `with ... as x` leaves a binding.
      if (node.parent?.parent?.type !== "except_clause") targetNames(node, out);
      return;
    // Comprehension variables and lambda parameters are local to them.
    case "lambda":
    case "list_comprehension":
    case "set_comprehension":
    case "dictionary_comprehension":
    case "generator_expression":
      return;
  }
  for (const child of node.namedChildren) if (child) collectBindings(child, out);
}

/**
 * The names a top-level statement binds on every path: simple statements bind their targets;
 * an `if` binds what all its branches bind when it has an `else`; a `try` what its body (with
 * `else`) and every handler bind, plus its `finally`; `with` what its body binds; loops nothing
 * for sure.
 */
export function certainBindings(node: SyntaxNode): Set<string> {
  const field = (name: string) => node.childForFieldName(name);
  const blockBindings = (block: SyntaxNode | null | undefined): Set<string> => {
    const names = new Set<string>();
    for (const statement of block?.namedChildren ?? []) if (statement && statement.type !== "comment") for (const name of certainBindings(statement)) names.add(name);
    return names;
  };
  const intersect = (sets: Set<string>[]): Set<string> => (sets.length === 0 ? new Set() : new Set([...sets[0]!].filter((name) => sets.every((set) => set.has(name)))));
  switch (node.type) {
    case "if_statement": {
      const branches = [blockBindings(field("consequence"))];
      let hasElse = false;
      for (const clause of node.namedChildren) {
        if (clause?.type === "elif_clause") branches.push(blockBindings(clause.childForFieldName("consequence")));
        if (clause?.type === "else_clause") {
          hasElse = true;
          branches.push(blockBindings(clause.childForFieldName("body")));
        }
      }
      return hasElse ? intersect(branches) : new Set();
    }
    case "try_statement": {
      const body = blockBindings(field("body"));
      const handlers: Set<string>[] = [];
      const always = new Set<string>();
      for (const clause of node.namedChildren) {
        if (clause?.type === "else_clause") for (const name of blockBindings(clause.childForFieldName("body"))) body.add(name);
        if (clause?.type === "except_clause" || clause?.type === "except_group_clause") handlers.push(blockBindings(clause.namedChildren.find((child) => child?.type === "block")));
        if (clause?.type === "finally_clause") for (const name of blockBindings(clause.namedChildren.find((child) => child?.type === "block"))) always.add(name);
      }
      for (const name of intersect([body, ...handlers])) always.add(name);
      return always;
    }
    case "with_statement": {
      const names = blockBindings(field("body"));
      walk(node.namedChildren.find((child) => child?.type === "with_clause") ?? node, (child) => {
        if (child.type === "as_pattern_target") targetNames(child, names);
        return true;
      });
      return names;
    }
    case "for_statement":
    case "while_statement":
    case "match_statement":
    case "delete_statement":
      return new Set();
    default: {
      const names = new Set<string>();
      collectBindings(node, names);
      return names;
    }
  }
}

/**
 * A read of `__name__` by code that runs at import time, other than the harmless ones
 * (`getLogger(__name__)`, `module=__name__`): `Enum._convert_(..., __name__)` and
 * `sys.modules[__name__]` write module globals by name, which a split would send to the wrong module.
 */
function moduleLevelNameUse(node: SyntaxNode): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  walk(node, (child) => {
    if (found || child.type === "function_definition" || child.type === "lambda") return false;
    if (child.type !== "identifier" || child.text !== "__name__") return true;
    const parent = child.parent;
    if (parent?.type === "keyword_argument") return true;
    const call = parent?.type === "argument_list" ? parent.parent : null;
    if (call?.type === "call" && /(^|\.)getLogger$/.test(call.childForFieldName("function")?.text ?? "")) return true;
    found = child;
    return false;
  });
  return found;
}

/** Names deleted by a module-level `del` inside `node`, and names its functions declare `global`. */
function collectDeletesAndGlobals(node: SyntaxNode, deletes: Set<string>, globals: Set<string>): void {
  walk(node, (child) => {
    if (child.type === "global_statement") for (const name of child.namedChildren) if (name?.type === "identifier") globals.add(name.text);
    if (child.type === "delete_statement" && !insideFunction(child, node)) targetNames(child, deletes);
    return true;
  });
}

/** True when `child` sits in a function or class body (its `del` is not a module-level one). */
function insideFunction(child: SyntaxNode, top: SyntaxNode): boolean {
  for (let current = child.parent; current; current = current.parent) {
    if (current.type === "function_definition" || current.type === "class_definition") return true;
    if (current.id === top.id) return false;
  }
  return false;
}

function targetNames(node: SyntaxNode, out: Set<string>): void {
  if (node.type === "identifier") out.add(node.text);
  else if (node.type !== "attribute" && node.type !== "subscript") for (const child of node.namedChildren) if (child) targetNames(child, out);
}

/**
 * Every module-level name the statement may read: identifiers (not attribute or keyword-argument
 * names) and forward references, minus names local to an enclosing function or lambda (its
 * parameters and everything its own body binds, unless declared `global`). Python makes a name
 * local to the whole function when any statement of it binds the name, so this never drops a read
 * of a module name; class bodies and comprehensions are not treated as scopes (over-approximation
 * only adds references, which can only keep code together).
 */
function collectReferences(node: SyntaxNode, out: Set<string>): void {
  const visit = (current: SyntaxNode, locals: readonly Set<string>[]): void => {
    const isLocal = (name: string) => locals.some((scope) => scope.has(name));
    if (current.type === "function_definition" || current.type === "lambda") {
      const parameters = current.childForFieldName("parameters");
      const body = current.childForFieldName("body");
      const name = current.childForFieldName("name");
      const own = new Set<string>();
      // Defaults, annotations and the return annotation run in the enclosing scope.
      for (const child of current.namedChildren) {
        if (!child || child.id === body?.id || child.id === name?.id) continue;
        if (child.id === parameters?.id) visitParameters(child, locals, own);
        else visit(child, locals);
      }
      if (!body) return;
      if (current.type === "function_definition") {
        for (const statement of body.namedChildren) if (statement) collectBindings(statement, own);
        walk(body, (child) => {
          if (child.type === "function_definition" || child.type === "class_definition" || child.type === "lambda") return false;
          if (child.type === "global_statement") for (const declared of child.namedChildren) if (declared?.type === "identifier") own.delete(declared.text);
          return true;
        });
      }
      visit(body, [...locals, own]);
      return;
    }
    if (current.type === "identifier") {
      const parent = current.parent;
      if (parent?.type === "attribute" && parent.childForFieldName("attribute")?.id === current.id) return;
      if (parent?.type === "keyword_argument" && parent.childForFieldName("name")?.id === current.id) return;
      if (!isLocal(current.text)) out.add(current.text);
      return;
    }
    for (const word of forwardReferenceWords(current)) if (!isLocal(word)) out.add(word);
    for (const child of current.children) if (child) visit(child, locals);
  };
  /** Parameter names become locals of the function; their defaults and annotations are read outside it. */
  const visitParameters = (parameters: SyntaxNode, locals: readonly Set<string>[], own: Set<string>): void => {
    for (const parameter of parameters.namedChildren) {
      if (!parameter) continue;
      if (parameter.type === "identifier") {
        own.add(parameter.text);
        continue;
      }
      const name = parameter.childForFieldName("name") ?? parameter.namedChildren.find((child) => child?.type === "identifier");
      if (name?.type === "identifier") own.add(name.text);
      for (const child of parameter.namedChildren) if (child && child.id !== name?.id) visit(child, locals);
    }
  };
  visit(node, []);
}
