import type { Parser } from "web-tree-sitter";
import type { CodemodResult } from "../../python/codemods/index.js";
import type { Finding, FindingRule, ProjectAnalysis } from "../../python/index.js";
import { byBenefit, findingsByFile, moduleOf, sharedParser, taskId } from "./planning.js";
import type { DeterministicAgent, DeterministicAgentName, PlannedTask } from "./types.js";

export interface PerFileAgentSpec {
  name: DeterministicAgentName;
  description: string;
  rule: FindingRule;
  /** The commit subject for the file's findings: `pkg.mod: remove 2 unused imports (os, re)`. */
  summary: (module: string, findings: readonly Finding[]) => string;
  skip?: (path: string) => boolean;
  /** Builds, once per plan, a filter of the findings worth fixing (e.g. not names other modules import). */
  keepFinding?: (analysis: ProjectAnalysis) => (finding: Finding) => boolean;
  fix(parser: Parser, source: string, path: string, task: PlannedTask): CodemodResult;
}

/**
 * An agent that plans one task per file carrying findings of one rule and fixes them with one
 * codemod: one commit per kind of change per module, never one per finding.
 */
export function perFileAgent(spec: PerFileAgentSpec): DeterministicAgent {
  return {
    name: spec.name,
    description: spec.description,
    plan(analysis) {
      const tasks: PlannedTask[] = [];
      const keep = spec.keepFinding?.(analysis) ?? (() => true);
      for (const [path, all] of findingsByFile(analysis, spec.rule)) {
        if (spec.skip?.(path)) continue;
        const findings = all.filter(keep);
        if (findings.length === 0) continue;
        tasks.push({
          id: taskId(spec.name, [path], findings),
          agent: spec.name,
          title: spec.summary(moduleOf(analysis, path), findings),
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
      const result = spec.fix(sharedParser(), source, path, task);
      return result.changes.length === 0 ? [] : [{ path, content: result.source }];
    },
  };
}
