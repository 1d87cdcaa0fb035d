import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findLazyImports, moveImportsIntoFunctions } from "../../python/codemods/index.js";
import type { AnalyzedFile, ProjectAnalysis } from "../../python/index.js";
import { byBenefit, isPackageInit, sharedParser, taskId } from "./planning.js";
import { importedNamesByModule } from "./references.js";
import type { DeterministicAgent, PlannedTask } from "./types.js";

/** Modules the interpreter has loaded before user code runs: importing them lazily cannot save any time. */
const STARTUP_MODULES = new Set(["__future__", "sys", "builtins", "os", "os.path", "posixpath", "genericpath", "stat", "abc", "io", "codecs", "encodings", "marshal", "time", "site", "_collections_abc"]);

/** An import needed by more functions than this is a module-level dependency in all but name. */
const MAX_FUNCTIONS = 4;

/**
 * One task per module a file imports at module level but reads only inside function bodies
 * (decorators, defaults, annotations, class bodies and names other modules import from this one
 * disqualify): every module-level import of that module must be able to move, or the module is
 * still loaded and nothing is saved. Skips test files, first-party and relative modules (moving
 * those changes import order inside the project) and modules the interpreter loads at startup.
 * The fleet keeps the change only if the module's measured import time drops.
 */
export const lazyImportsAgent: DeterministicAgent = {
  name: "lazy-imports",
  description: "Moves module-level imports of a module used only inside functions into those functions, kept only when import time drops.",
  plan(analysis) {
    const importedElsewhere = importedNamesByModule(analysis);
    const firstParty = new Set(analysis.files.map((file) => rootOf(file.module)));
    const tasks: PlannedTask[] = [];
    for (const file of analysis.files) {
      if (isPackageInit(file.path) || isTestFile(file.path)) continue;
      const source = readSource(analysis, file);
      if (source === undefined) continue;
      const keep = importedElsewhere.get(file.module) ?? new Set<string>();
      const movable = new Map<string, Set<string>>();
      const spread = new Set<string>();
      for (const candidate of findLazyImports(sharedParser(), source, { keep })) {
        if (candidate.module.startsWith(".")) continue;
        const root = rootOf(candidate.module);
        movable.set(root, (movable.get(root) ?? new Set()).add(candidate.name));
        if (candidate.functions.length > MAX_FUNCTIONS) spread.add(root);
      }
      for (const [root, names] of movable) {
        if (STARTUP_MODULES.has(root) || firstParty.has(root) || spread.has(root)) continue;
        const loading = file.facts.imports.filter((fact) => !fact.conditional && fact.level === 0 && rootOf(fact.module) === root);
        if (!loading.every((fact) => fact.bound.every((name) => names.has(name)))) continue;
        tasks.push({
          id: taskId("lazy-imports", [file.path], [], root),
          agent: "lazy-imports",
          title: `perf(${file.module}): import ${root} lazily in the functions that use it`,
          files: [file.path],
          benefit: 0.5,
          findings: [],
          symbol: root,
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
    const result = moveImportsIntoFunctions(sharedParser(), source, task.symbol === undefined ? {} : { module: task.symbol });
    return result.changes.length === 0 ? [] : [{ path, content: result.source }];
  },
};

function rootOf(module: string): string {
  return module.split(".")[0]!;
}

/** Test modules: their import time is not anyone's start-up time. */
function isTestFile(path: string): boolean {
  const name = path.split("/").pop()!;
  return /^test_.*\.py$|_test\.py$|^conftest\.py$/.test(name) || /(^|\/)tests?\//.test(path);
}

function readSource(analysis: ProjectAnalysis, file: AnalyzedFile): string | undefined {
  try {
    return readFileSync(join(analysis.root, file.path), "utf8");
  } catch {
    // The file went away since the analysis: nothing to plan for it.
    return undefined;
  }
}
