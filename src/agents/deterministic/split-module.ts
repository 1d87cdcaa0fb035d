import { readFileSync } from "node:fs";
import { join } from "node:path";
import { splitModule, type SplitModuleResult } from "../../python/codemods/index.js";
import type { Finding } from "../../python/index.js";
import { byBenefit, findingsByFile, isPackageInit, isTestFile, moduleOf, sharedParser, subject, taskId } from "./planning.js";
import { importedNamesByModule } from "./references.js";
import type { DeterministicAgent, PlannedTask } from "./types.js";

const DEFAULT_LIMIT = 500;

/** A module just over the limit is not worth a new package: it must exceed the limit by this factor. */
export const SPLIT_MARGIN = 1.2;

/**
 * Opt-in. One task per oversized module (not a package `__init__.py`, not a test module, more than
 * 1.2 times the limit) that splits into at least two cohesive parts. Planning runs the split on
 * the file as it is on disk to learn the paths the task creates; `apply` splits the current
 * contents again (same algorithm, same result when unchanged). The fleet proves, besides the
 * tests, that every name of the module is still there with its `__module__`, that its classes
 * still pickle, and that importing it is not slower.
 */
export const splitModuleAgent: DeterministicAgent = {
  name: "split-module",
  description: `Splits a module over ${SPLIT_MARGIN}x the size limit into a package of cohesive submodules whose __init__ re-exports every name it had.`,
  optIn: true,
  plan(analysis) {
    const importedElsewhere = importedNamesByModule(analysis);
    const tasks: PlannedTask[] = [];
    for (const [path, findings] of findingsByFile(analysis, "oversized-module")) {
      if (isPackageInit(path) || isTestFile(path)) continue;
      const lines = analysis.files.find((file) => file.path === path)?.lines;
      if (lines !== undefined && lines <= limitOf(findings) * SPLIT_MARGIN) continue;
      let source: string;
      try {
        source = readFileSync(join(analysis.root, path), "utf8");
      } catch {
        // Gone since the analysis: nothing to split.
        continue;
      }
      const module = moduleOf(analysis, path);
      const keepNames = [...(importedElsewhere.get(module) ?? [])].sort();
      const result = split(source, path, module, findings, keepNames);
      if (result.state !== "split") continue;
      const size = lines ?? source.split("\n").length;
      if (size <= limitOf(findings) * SPLIT_MARGIN) continue;
      tasks.push({
        id: taskId("split-module", [path], findings),
        agent: "split-module",
        title: subject(module, "split into", result.parts.length, "module", result.parts.map((part) => part.module.split(".").pop()!)),
        files: result.files.map((file) => file.path),
        benefit: Math.max(1, Math.round(((size - limitOf(findings)) / limitOf(findings)) * 10) / 10),
        findings,
        keepNames,
        requires: { kind: "module-split", module },
      });
    }
    return byBenefit(tasks);
  },
  async apply(task, readFile) {
    const path = task.files[0];
    const source = path === undefined ? undefined : readFile(path);
    if (path === undefined || source === undefined || isTestFile(path)) return [];
    const module = path.replace(/\.py$/, "").replace(/\//g, ".");
    const result = split(source, path, module, task.findings, task.keepNames);
    if (result.state !== "split") return [];
    // Never overwrite what is already there (a `mod/` package beside `mod.py`).
    if (result.files.some((file) => file.content !== null && readFile(file.path) !== undefined)) return [];
    return result.files;
  },
};

function split(source: string, path: string, module: string, findings: readonly Finding[], keepNames: readonly string[] | undefined): SplitModuleResult {
  return splitModule(sharedParser(), source, {
    path,
    module: findings[0]?.symbol ?? module,
    maxLines: limitOf(findings),
    keep: new Set(keepNames ?? []),
  });
}

/** The limit the finding reports (`... (limit 500) ...`). */
function limitOf(findings: readonly Finding[]): number {
  const match = /limit (\d+)/.exec(findings[0]?.message ?? "");
  return match ? Number(match[1]) : DEFAULT_LIMIT;
}
