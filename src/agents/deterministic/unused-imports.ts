import { removeUnusedImports } from "../../python/codemods/index.js";
import { byBenefit, findingsByFile, findingSymbols, isPackageInit, moduleOf, sharedParser, taskId } from "./planning.js";
import type { DeterministicAgent, PlannedTask } from "./types.js";

/** One task per file with `unused-import` findings (never a package `__init__.py`, whose imports are its API). */
export const unusedImportsAgent: DeterministicAgent = {
  name: "unused-imports",
  description: "Removes imported names nothing reads (keeps __all__ and `x as x` re-exports, # noqa, side-effect imports, __init__.py).",
  plan(analysis) {
    const tasks: PlannedTask[] = [];
    for (const [path, findings] of findingsByFile(analysis, "unused-import")) {
      if (isPackageInit(path)) continue;
      tasks.push({
        id: taskId("unused-imports", [path], findings),
        agent: "unused-imports",
        title: `refactor(${moduleOf(analysis, path)}): remove unused imports`,
        files: [path],
        benefit: findings.length,
        findings,
      });
    }
    return byBenefit(tasks);
  },
  async apply(task, readFile) {
    const path = task.files[0];
    const source = path === undefined ? undefined : readFile(path);
    if (path === undefined || source === undefined) return [];
    const result = removeUnusedImports(await sharedParser(), source, { names: findingSymbols(task.findings), isPackageInit: isPackageInit(path) });
    return result.changes.length === 0 ? [] : [{ path, content: result.source }];
  },
};
