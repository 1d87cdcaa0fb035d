/**
 * What an import statement imports and binds, and which unused import bindings are worth a
 * finding (explicit re-exports, availability checks, side-effect modules, dunder names and
 * submodule loads are not).
 */
import type { AnalysisNode } from "../parse/flat-node.js";
import { typeOf, typeOfMaybe } from "./nodes.js";
import type { ImportFact } from "../types.js";
import { isDunder, isSideEffectModule } from "./conventions.js";
import type { ImportBinding } from "./scopes.js";

export interface ImportedModule {
  /** As written, whitespace removed: `os.path`, `..models`, `__future__`. */
  module: string;
  names: string[];
  bound: string[];
  bindings: Array<Pick<ImportBinding, "name" | "module" | "reexport" | "submoduleLoad" | "fromImport">>;
}

/** `import a.b as c, d` gives one entry per module; `from m import x, y as z` gives one entry. */
export function readImportStatement(node: AnalysisNode): ImportedModule[] {
  if (typeOf(node) === "import_statement") {
    const result: ImportedModule[] = [];
    for (const child of node.namedChildren) {
      if (!child || typeOf(child) === "comment") continue;
      const nameNode = typeOf(child) === "aliased_import" ? child.childForFieldName("name") : child;
      const alias = typeOf(child) === "aliased_import" ? child.childForFieldName("alias")?.text : undefined;
      if (!nameNode) continue;
      const module = nameNode.text.replace(/\s+/g, "");
      const bound = alias ?? (module.split(".")[0] as string);
      result.push({
        module,
        names: [],
        bound: [bound],
        bindings: [
          {
            name: bound,
            module,
            reexport: alias !== undefined && alias === module,
            submoduleLoad: alias === undefined && module.includes("."),
            fromImport: false,
          },
        ],
      });
    }
    return result;
  }
  const future = typeOf(node) === "future_import_statement";
  const module = future ? "__future__" : (node.childForFieldName("module_name")?.text.replace(/\s+/g, "") ?? "");
  const entry: ImportedModule = { module, names: [], bound: [], bindings: [] };
  for (const child of node.childrenForFieldName("name")) {
    if (!child) continue;
    const nameNode = typeOf(child) === "aliased_import" ? child.childForFieldName("name") : child;
    const alias = typeOf(child) === "aliased_import" ? child.childForFieldName("alias")?.text : undefined;
    if (!nameNode) continue;
    const name = nameNode.text;
    entry.names.push(name);
    entry.bound.push(alias ?? name);
    if (!future) {
      entry.bindings.push({ name: alias ?? name, module, reexport: alias !== undefined && alias === name, submoduleLoad: false, fromImport: true });
    }
  }
  if (node.namedChildren.some((child) => typeOfMaybe(child) === "wildcard_import")) entry.names.push("*");
  return [entry];
}

/**
 * The unused bindings worth reporting. An unused `import a.b` still loads `a.b` for the module's
 * other imports of package `a` (`import a as x` then `x.b`), so it is reported only when nothing
 * else in the module imports from `a`.
 */
export function reportableUnusedImports<T extends ImportBinding>(unused: T[], imports: ImportFact[]): T[] {
  const rootCounts = new Map<string, number>();
  for (const fact of imports) {
    if (fact.level > 0) continue;
    const root = fact.module.split(".")[0] as string;
    rootCounts.set(root, (rootCounts.get(root) ?? 0) + 1);
  }
  return unused.filter(
    (binding) =>
      !binding.reexport &&
      !binding.guarded &&
      !isDunder(binding.name) &&
      !isSideEffectModule(binding.module) &&
      !(binding.submoduleLoad && (rootCounts.get(binding.name) ?? 0) > 1),
  );
}

/** `from _ssl import MemoryBIO`, `from ._bootstrap import ModuleSpec`: a module publishing a private implementation. */
export function fromPrivateModule(module: string): boolean {
  return module.replace(/^\.+/, "").split(".").some((part) => part.startsWith("_"));
}

/**
 * A module with no function or class of its own whose imports are mostly unused exists to
 * re-export them (`compat.py`, backwards-compatibility shims, `moves` modules).
 */
export function isReexportFacade(moduleImports: number, unusedModuleImports: number, moduleDefinitions: number): boolean {
  return moduleDefinitions === 0 && unusedModuleImports >= 2 && unusedModuleImports * 2 >= moduleImports;
}
