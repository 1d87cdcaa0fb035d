import type { ProjectAnalysis } from "../../python/index.js";

/**
 * For each module, the names other modules import from it by name (`from pkg.mod import X`, with
 * relative imports resolved). Those names are part of the module's API whatever the module itself
 * does with them.
 */
export function importedNamesByModule(analysis: ProjectAnalysis): Map<string, Set<string>> {
  const imported = new Map<string, Set<string>>();
  for (const file of analysis.files) {
    for (const fact of file.facts.imports) {
      if (fact.names.length === 0) continue;
      const target = resolveModule(file.module, file.isPackage, fact.module, fact.level);
      if (target === undefined) continue;
      for (const name of fact.names) {
        if (name === "*") continue;
        const set = imported.get(target) ?? new Set<string>();
        set.add(name);
        imported.set(target, set);
      }
    }
  }
  return imported;
}

/** The absolute module a (possibly relative) import names, as seen from `importer`. */
export function resolveModule(importer: string, importerIsPackage: boolean, module: string, level: number): string | undefined {
  if (level === 0) return module;
  const parts = importer.split(".");
  const base = importerIsPackage ? parts : parts.slice(0, -1);
  if (level - 1 > base.length) return undefined;
  const anchor = base.slice(0, base.length - (level - 1));
  const rest = module.replace(/^\.+/, "");
  return [...anchor, ...(rest ? [rest] : [])].join(".");
}
