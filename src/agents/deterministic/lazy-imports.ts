import { readFileSync } from "node:fs";
import { join } from "node:path";
import { moveImportsIntoFunctions } from "../../python/codemods/index.js";
import type { AnalyzedFile, ProjectAnalysis } from "../../python/index.js";
import { byBenefit, isPackageInit, sharedParser, taskId } from "./planning.js";
import { importedNamesByModule } from "./references.js";
import type { DeterministicAgent, PlannedTask } from "./types.js";

/** Modules the interpreter has loaded before user code runs: importing them lazily cannot save any time. */
const STARTUP_MODULES = new Set(["__future__", "sys", "builtins", "os", "os.path", "posixpath", "genericpath", "stat", "abc", "io", "codecs", "encodings", "marshal", "time", "site", "_collections_abc"]);

/**
 * One task per module-level imported name whose every mention sits on an indented line (so
 * probably inside a function). The plan is a cheap superset; `apply` decides precisely with the
 * tree (decorators, defaults, annotations and class bodies disqualify) and returns [] when the name
 * cannot move. The fleet keeps the change only if the module's measured import time drops.
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
      const lines = source.split("\n");
      const keep = importedElsewhere.get(file.module);
      for (const fact of file.facts.imports) {
        if (fact.conditional || fact.names.includes("*")) continue;
        if (fact.level === 0 && STARTUP_MODULES.has(fact.module)) continue;
        for (const name of fact.bound) {
          if (keep?.has(name) || file.facts.dunderAll?.includes(name)) continue;
          if (!onlyIndentedMentions(lines, name, fact.line)) continue;
          tasks.push({
            id: taskId("lazy-imports", [file.path], [], name),
            agent: "lazy-imports",
            title: `perf(${file.module}): import ${name} lazily in the functions that use it`,
            files: [file.path],
            benefit: 0.5,
            findings: [],
            symbol: name,
            requires: { kind: "import-time-lower", module: file.module },
          });
        }
      }
    }
    return byBenefit(tasks);
  },
  async apply(task, readFile) {
    const path = task.files[0];
    const source = path === undefined ? undefined : readFile(path);
    if (path === undefined || source === undefined) return [];
    const result = moveImportsIntoFunctions(await sharedParser(), source, task.symbol === undefined ? {} : { name: task.symbol });
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

/** Every line mentioning `name` (other than the import's own line) is indented, and there is at least one. */
function onlyIndentedMentions(lines: readonly string[], name: string, importLine: number): boolean {
  const word = new RegExp(`(?<![\\w.])${name.replace(/[^\w]/g, "")}\\b`);
  let mentions = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (index + 1 === importLine || !word.test(line)) continue;
    if (!/^[ \t]/.test(line)) return false;
    mentions++;
  }
  return mentions > 0;
}
