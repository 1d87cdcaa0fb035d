import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findLazyImports, moveImportsIntoFunctions, repeatedCalls } from "../../python/codemods/index.js";
import type { AnalyzedFile, ProjectAnalysis } from "../../python/index.js";
import { byBenefit, isPackageInit, isTestFile, sharedParser, taskId } from "./planning.js";
import { importedNamesByModule } from "./references.js";
import type { DeterministicAgent, PlannedTask } from "./types.js";

/**
 * Modules every CPython loads before user code runs (`python -S -c pass` plus what `site` adds,
 * 3.8-3.13): importing them lazily cannot save any time. An interpreter whose site-packages load
 * more (a `.pth` file importing `re`, `typing`...) is caught by the fleet, which asks the
 * interpreter itself before measuring.
 */
const STARTUP_MODULES = new Set([
  "__future__",
  "_collections_abc",
  "_sitebuiltins",
  "abc",
  "builtins",
  "codecs",
  "encodings",
  "genericpath",
  "io",
  "marshal",
  "os",
  "posix",
  "posixpath",
  "site",
  "stat",
  "sys",
  "time",
  "zipimport",
]);

/** An import needed by more functions than this is a module-level dependency in all but name. */
const MAX_FUNCTIONS = 4;

/** The smallest import-time saving worth a change: below it, a lazy import is noise a reviewer has to read. */
export const LAZY_IMPORT_MINIMUM_MS = 5;

/**
 * Opt-in. One task per module a file imports at module level but reads only inside function bodies
 * (decorators, defaults, annotations, class bodies and names other modules import from this one
 * disqualify, and so does a function any module of the project calls in a loop): every module-level import of that module must be able to move, or the module is
 * still loaded and nothing is saved. Skips test files, first-party and relative modules (moving
 * those changes import order inside the project), modules the interpreter loads at start-up,
 * modules another module of the project imports at top level anyway (moving this one saves
 * nothing), and functions on hot paths (see the codemod). The fleet keeps the change only when
 * interleaved measurements show the module's import time drops by at least 5 ms.
 *
 * Tasks stay one per imported module (not one per file): each must show its own saving, and a
 * file rarely has more than one import that costs 5 ms.
 */
export const lazyImportsAgent: DeterministicAgent = {
  name: "lazy-imports",
  description: `Moves a module-level import used only inside functions into them, kept only when measured import time drops by >= ${LAZY_IMPORT_MINIMUM_MS} ms.`,
  optIn: true,
  plan(analysis) {
    const importedElsewhere = importedNamesByModule(analysis);
    const firstParty = new Set(analysis.files.map((file) => rootOf(file.module)));
    const sources = new Map<string, string>();
    for (const file of analysis.files) {
      const source = isTestFile(file.path) ? undefined : readSource(analysis, file);
      if (source !== undefined) sources.set(file.path, source);
    }
    // A function the project calls in a loop anywhere (tests aside: they are nobody's hot path) is hot in every module.
    const hotNames = new Set<string>();
    for (const source of sources.values()) for (const name of repeatedCalls(sharedParser(), source)) hotNames.add(name);
    const tasks: PlannedTask[] = [];
    for (const file of analysis.files) {
      const source = sources.get(file.path);
      if (isPackageInit(file.path) || source === undefined) continue;
      const keep = importedElsewhere.get(file.module) ?? new Set<string>();
      const movable = new Map<string, Set<string>>();
      const spread = new Set<string>();
      for (const candidate of findLazyImports(sharedParser(), source, { keep, hotNames })) {
        if (candidate.module.startsWith(".")) continue;
        const root = rootOf(candidate.module);
        movable.set(root, (movable.get(root) ?? new Set()).add(candidate.name));
        if (candidate.functions.length > MAX_FUNCTIONS) spread.add(root);
      }
      for (const [root, names] of movable) {
        if (STARTUP_MODULES.has(root) || firstParty.has(root) || spread.has(root)) continue;
        const loading = file.facts.imports.filter((fact) => !fact.conditional && fact.level === 0 && rootOf(fact.module) === root);
        if (!loading.every((fact) => fact.bound.every((name) => names.has(name)))) continue;
        if (loadedElsewhere(analysis, file, root)) continue;
        tasks.push({
          id: taskId("lazy-imports", [file.path], [], root),
          agent: "lazy-imports",
          title: `${file.module}: import ${root} lazily in the functions that use it`,
          files: [file.path],
          benefit: 0.5,
          findings: [],
          symbol: root,
          requires: { kind: "import-time-lower", module: file.module, minimumMs: LAZY_IMPORT_MINIMUM_MS, loaded: root },
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

/**
 * True when another module of the same package (not a test) imports `root` while it loads (at top
 * level, guarded by try/if or not): importing the package loads `root` anyway, so moving this
 * file's import saves nothing. The fleet's measurement catches importers outside the package.
 */
function loadedElsewhere(analysis: ProjectAnalysis, file: AnalyzedFile, root: string): boolean {
  const ownPackage = rootOf(file.module);
  return analysis.files.some(
    (other) =>
      other.path !== file.path &&
      rootOf(other.module) === ownPackage &&
      !isTestFile(other.path) &&
      other.facts.imports.some((fact) => (fact.loadTime ?? !fact.conditional) && fact.level === 0 && rootOf(fact.module) === root),
  );
}

function rootOf(module: string): string {
  return module.split(".")[0]!;
}

function readSource(analysis: ProjectAnalysis, file: AnalyzedFile): string | undefined {
  try {
    return readFileSync(join(analysis.root, file.path), "utf8");
  } catch {
    // The file went away since the analysis: nothing to plan for it.
    return undefined;
  }
}
