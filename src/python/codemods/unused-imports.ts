import type { Parser } from "web-tree-sitter";
import { parsePython, type SyntaxNode } from "../parse/parser.js";
import type { TextEdit } from "./edits.js";
import { readImport, removeImportElements, type ImportStatement } from "./imports.js";
import { ancestors, hasNoqa, IMPORT_TYPES, linesOf, namesReadOutsideImports, readsNamespaceDynamically, walk } from "./names.js";
import { finishEdits, type CodemodResult } from "./result.js";
import { removeStatements } from "./statements.js";

export interface UnusedImportsOptions {
  /** Only these names (bound name or dotted name as imported); every unused import when absent. */
  names?: ReadonlySet<string>;
  /** A package's `__init__.py`: its imports are its API, so nothing is removed. */
  isPackageInit?: boolean;
}

/** Modules imported for what importing them does: an unused `import readline` is the point of the line. */
const SIDE_EFFECT_MODULES = new Set(["readline", "rlcompleter", "antigravity", "this", "__hello__", "__phello__", "sitecustomize", "usercustomize"]);
const IMPORT_ERRORS = /\b(ImportError|ModuleNotFoundError|Exception|BaseException)\b/;

/**
 * Removes imported names that nothing in the module reads. Keeps `__all__` re-exports, `x as x`
 * re-exports, dunder names, lines with `# noqa` (F401/V104), side-effect modules, availability checks inside
 * `try: ... except ImportError`, and every import of a package `__init__.py` or of a module that
 * reads its namespace dynamically (`globals()`, `eval`, module `__getattr__`, computed `__all__`).
 */
export function removeUnusedImports(parser: Parser, source: string, options: UnusedImportsOptions = {}): CodemodResult {
  if (options.isPackageInit) return { source, changes: [] };
  const tree = parsePython(parser, source);
  try {
    const root = tree.rootNode;
    if (root.hasError || readsNamespaceDynamically(root)) return { source, changes: [] };
    const read = namesReadOutsideImports(root);
    const statements: ImportStatement[] = [];
    walk(root, (node) => {
      if (!IMPORT_TYPES.has(node.type)) return true;
      const statement = readImport(node);
      if (statement) statements.push(statement);
      return false;
    });
    const wholeStatements: SyntaxNode[] = [];
    const edits: TextEdit[] = [];
    const changes: string[] = [];
    for (const statement of statements) {
      if (statement.star || hasNoqa(linesOf(source, statement.node), ["F401", "V104"]) || isAvailabilityCheck(statement.node)) continue;
      const removed = new Set<number>();
      statement.elements.forEach((element, index) => {
        // Dunder imports (`from _struct import __doc__`) set module metadata; they are never unused.
        if (element.reexport || read.has(element.bound) || /^__\w+__$/.test(element.bound)) return;
        if (statement.kind === "import" && SIDE_EFFECT_MODULES.has(element.imported.split(".")[0]!)) return;
        if (options.names && !options.names.has(element.bound) && !options.names.has(element.imported)) return;
        removed.add(index);
        changes.push(element.bound === element.imported ? element.bound : `${element.imported} as ${element.bound}`);
      });
      if (removed.size === 0) continue;
      if (removed.size === statement.elements.length) wholeStatements.push(statement.node);
      else edits.push(...removeImportElements(source, statement, removed));
    }
    edits.push(...removeStatements(source, wholeStatements));
    return finishEdits(parser, source, edits, changes);
  } finally {
    tree.delete();
  }
}

/** Inside the body of a `try` whose handlers catch ImportError: the import tests whether a module exists. */
function isAvailabilityCheck(node: SyntaxNode): boolean {
  for (const ancestor of ancestors(node)) {
    if (ancestor.type === "function_definition" || ancestor.type === "class_definition") return false;
    if (ancestor.type !== "try_statement") continue;
    for (const clause of ancestor.namedChildren) {
      if (clause?.type !== "except_clause") continue;
      const caught = clause.namedChildren.filter((child) => child && child.type !== "block" && child.type !== "comment");
      if (caught.length === 0 || caught.some((child) => child && IMPORT_ERRORS.test(child.text))) return true;
    }
  }
  return false;
}
