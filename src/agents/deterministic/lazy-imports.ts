import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findLazyImports, moveImportsIntoFunctions } from "../../python/codemods/index.js";
import type { AnalyzedFile, ProjectAnalysis } from "../../python/index.js";
import { byBenefit, isPackageInit, sharedParser, taskId } from "./planning.js";
import { importedNamesByModule } from "./references.js";
import type { DeterministicAgent, PlannedTask } from "./types.js";

/** Modules the interpreter has loaded before user code runs: importing them lazily cannot save any time. */
const STARTUP_MODULES = new Set(["__future__", "sys", "builtins", "os", "os.path", "posixpath", "genericpath", "stat", "abc", "io", "codecs", "encodings", "marshal", "time", "site", "_collections_abc"]);

/**
 * One task per module-level imported name that only function bodies read (decorators, defaults,
 * annotations, class bodies and names other modules import from this one disqualify), except
 * modules the interpreter loads at startup. The fleet keeps the change only if the module's
 * measured import time drops.
 */
export const lazyImportsAgent: DeterministicAgent = {
  name: "lazy-imports",
  description: "Moves a module-level import used only inside functions into those functions, kept only when import time drops.",
  plan(analysis) {
    const importedElsewhere = importedNamesByModule(analysis);
    const tasks: PlannedTask[] = [];
    for (const file of analysis.files) {
      if (isPackageInit(file.path)) continue;
      const source = readSource(analysis, file);
      if (source === undefined) continue;
      const keep = importedElsewhere.get(file.module) ?? new Set<string>();
      for (const candidate of findLazyImports(sharedParser(), source, { keep })) {
        if (STARTUP_MODULES.has(candidate.module)) continue;
        tasks.push({
          id: taskId("lazy-imports", [file.path], [], candidate.name),
          agent: "lazy-imports",
          title: `perf(${file.module}): import ${candidate.name} lazily in the functions that use it`,
          files: [file.path],
          benefit: 0.5,
          findings: [],
          symbol: candidate.name,
          requires: { kind: "import-time-lower", module: file.module },
        });
      }
    }
    return byBenefit(tasks);
  },
  async apply(task, readFile) {
    const path = task.files[0];
    const source = path === undefined ? undefined : readFile(path);
    if (path === undefined || source === undefined) return [];
    const result = moveImportsIntoFunctions(sharedParser(), source, task.symbol === undefined ? {} : { name: task.symbol });
    return result.changes.length === 0 ? [] : [{ path, content: result.source }];
  },
};

function readSource(analysis: ProjectAnalysis, file: AnalyzedFile): string | undefined {
  try {
    return readFileSync(join(analysis.root, file.path), "utf8");
  } catch {
    // The file went away since the analysis: nothing to plan for it.
    return undefined;
  }
}
