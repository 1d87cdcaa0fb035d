import type { Parser } from "web-tree-sitter";
import { contentHash } from "../../core/index.js";
import { createPythonParser, type Finding, type ProjectAnalysis } from "../../python/index.js";
import type { DeterministicAgentName, PlannedTask } from "./types.js";

/** Stable id: the same agent, files and findings always plan the same id, so a resumed run finds its tasks again. */
export function taskId(agent: DeterministicAgentName, files: readonly string[], findings: readonly Finding[], symbol = ""): string {
  const keys = findings.map((finding) => `${finding.rule}:${finding.path}:${finding.line}:${finding.symbol ?? ""}`).sort();
  return `${agent}-${contentHash(JSON.stringify([agent, [...files].sort(), keys, symbol])).slice(0, 16)}`;
}

/** Findings of one rule grouped by file, in path order. */
export function findingsByFile(analysis: ProjectAnalysis, rule: Finding["rule"]): Map<string, Finding[]> {
  const grouped = new Map<string, Finding[]>();
  for (const finding of analysis.findings) {
    if (finding.rule !== rule) continue;
    const list = grouped.get(finding.path) ?? [];
    list.push(finding);
    grouped.set(finding.path, list);
  }
  return new Map([...grouped].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The dotted module name of a file, for commit scopes; the path when the analysis does not know it. */
export function moduleOf(analysis: ProjectAnalysis, path: string): string {
  return analysis.files.find((file) => file.path === path)?.module ?? path.replace(/\.py$/, "").replace(/\//g, ".");
}

/**
 * A commit subject a maintainer reads in one line: `boltons.iterutils: remove 3 unused imports (re,
 * codecs, itertools)`. The names are listed while the subject stays within 72 characters, then
 * `...`; `count` and `noun` give `1 unused import` / `3 unused imports`.
 */
export function subject(module: string, verb: string, count: number, noun: string, names: readonly string[] = []): string {
  const head = `${module}: ${verb} ${count} ${noun}${count === 1 ? "" : "s"}`;
  const unique = [...new Set(names)];
  if (unique.length === 0) return head;
  let listed = "";
  for (const [index, name] of unique.entries()) {
    const next = listed ? `${listed}, ${name}` : name;
    const rest = index < unique.length - 1 ? ", ..." : "";
    if (`${head} (${next}${rest})`.length > 72 && listed) return `${head} (${listed}, ...)`;
    listed = next;
  }
  return `${head} (${listed})`;
}

/** Test modules (pytest's default patterns, conftest.py, anything under a tests/ or test/ folder). */
export function isTestFile(path: string): boolean {
  const name = path.split("/").pop()!;
  return /^test_.*\.py$|_test\.py$|^conftest\.py$/.test(name) || /(^|\/)tests?\//.test(path);
}

export function isPackageInit(path: string): boolean {
  return path === "__init__.py" || path.endsWith("/__init__.py");
}

/** Tasks by benefit, highest first; ties by id so the order is deterministic. */
export function byBenefit(tasks: PlannedTask[]): PlannedTask[] {
  return tasks.sort((a, b) => b.benefit - a.benefit || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * One tree-sitter parser for every deterministic agent in this thread, created when the module
 * loads (top-level await) so that `plan`, which is synchronous, can parse too. Codemods are
 * synchronous, so no two calls ever use it at once.
 */
const parser: Parser = await createPythonParser();

export function sharedParser(): Parser {
  return parser;
}

/** The symbols the findings name; undefined when some finding names none (then the codemod decides alone). */
export function findingSymbols(findings: readonly Finding[]): Set<string> | undefined {
  const symbols = new Set<string>();
  for (const finding of findings) {
    if (!finding.symbol) return undefined;
    symbols.add(finding.symbol);
  }
  return symbols;
}
