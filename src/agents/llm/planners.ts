import { readFileSync } from "node:fs";
import { join } from "node:path";
import { contentHash } from "../../core/index.js";
import type { AgentTask as FleetTask } from "./types.js";
import type { ProjectAnalysis } from "../../python/index.js";

export type LlmAgentName = "refactor" | "docstrings" | "type-hints" | "tests";
export const LLM_AGENT_NAMES: readonly LlmAgentName[] = ["refactor", "docstrings", "type-hints", "tests"];

/** A task of an LLM agent: the fleet's task plus what its prompt needs (kept in the journal as JSON). */
export interface LlmTask extends FleetTask {
  /** What to work on, in words for the prompt (`complexity 14`, `parse, render`). */
  detail: string;
  /** The function a refactor is about. */
  symbol?: string;
  /** The file a tests task reads (its `files` is the new test file). */
  source?: string;
  module?: string;
  /** The director's estimate, when it planned the task. */
  estimatedCostUsd?: number;
}

/** Functions at or above this cyclomatic complexity are refactor hotspots. */
export const REFACTOR_COMPLEXITY = 10;
const TEST_FILE = /(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/;
const DEF = /^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(|^(\s*)class\s+([A-Za-z_]\w*)/;

interface Definition {
  name: string;
  kind: "def" | "class";
  indent: number;
  signature: string;
  hasDocstring: boolean;
}

/** Top-level and nested `def`/`class` statements with their signatures and whether a docstring follows (line-based). */
export function definitionsOf(source: string): Definition[] {
  const lines = source.split("\n");
  const found: Definition[] = [];
  for (let index = 0; index < lines.length; index++) {
    const match = DEF.exec(lines[index]!);
    if (!match) continue;
    let end = index;
    while (end < lines.length - 1 && end < index + 30 && !/:\s*(#.*)?$/.test(lines[end]!)) end++;
    const signature = lines.slice(index, end + 1).join(" ");
    let next = end + 1;
    while (next < lines.length && lines[next]!.trim() === "") next++;
    const body = lines[next]?.trim() ?? "";
    found.push({
      name: match[2] ?? match[4]!,
      kind: match[2] ? "def" : "class",
      indent: (match[1] ?? match[3] ?? "").length,
      signature,
      hasDocstring: /^[rRbBuU]?("""|'''|"|')/.test(body),
    });
  }
  return found;
}

function read(analysis: ProjectAnalysis, path: string): string {
  try {
    return readFileSync(join(analysis.root, path), "utf8");
  } catch {
    return "";
  }
}

function task(agent: LlmAgentName, title: string, files: string[], benefit: number, fields: Omit<LlmTask, "id" | "agent" | "title" | "files" | "benefit" | "findings">): LlmTask {
  return { id: `${agent}-${contentHash(JSON.stringify([agent, files, fields.detail, fields.symbol ?? ""])).slice(0, 16)}`, agent, title, files, benefit, findings: [], ...fields };
}

const libraryFiles = (analysis: ProjectAnalysis) => analysis.files.filter((file) => !TEST_FILE.test(file.path));

/** Plans of the LLM agents, from the analysis alone (no model call): the director may re-plan them. */
export const llmPlanners: Record<LlmAgentName, (analysis: ProjectAnalysis) => LlmTask[]> = {
  refactor: (analysis) =>
    libraryFiles(analysis).flatMap((file) =>
      file.metrics.blocks
        .filter((block) => block.kind !== "class" && block.complexity >= REFACTOR_COMPLEXITY)
        .map((block) => task("refactor", `refactor(${file.module}): reduce complexity of ${block.name}`, [file.path], block.complexity, { detail: `cyclomatic complexity ${block.complexity}`, symbol: block.name })),
    ),
  docstrings: (analysis) =>
    libraryFiles(analysis).flatMap((file) => {
      const missing = definitionsOf(read(analysis, file.path)).filter((definition) => !definition.hasDocstring && !definition.name.startsWith("_"));
      if (missing.length === 0) return [];
      const names = missing.map((definition) => definition.name);
      return [task("docstrings", `docs(${file.module}): add docstrings`, [file.path], missing.length, { detail: names.join(", ") })];
    }),
  "type-hints": (analysis) =>
    libraryFiles(analysis).flatMap((file) => {
      const bare = definitionsOf(read(analysis, file.path)).filter((definition) => definition.kind === "def" && !definition.signature.includes("->"));
      if (bare.length === 0) return [];
      return [task("type-hints", `refactor(${file.module}): add type hints`, [file.path], bare.length * 0.5, { detail: bare.map((definition) => definition.name).join(", ") })];
    }),
  tests: (analysis) => {
    const testText = analysis.files.filter((file) => TEST_FILE.test(file.path)).map((file) => read(analysis, file.path)).join("\n");
    const testsFolder = analysis.files.some((file) => file.path.startsWith("tests/")) ? "tests/" : "";
    return libraryFiles(analysis).flatMap((file) => {
      if (file.path.endsWith("__init__.py") || file.path.endsWith("__main__.py")) return [];
      const untested = definitionsOf(read(analysis, file.path)).filter((definition) => definition.kind === "def" && definition.indent === 0 && !definition.name.startsWith("_") && !new RegExp(`\\b${definition.name}\\b`).test(testText));
      if (untested.length === 0) return [];
      const names = untested.map((definition) => definition.name);
      const path = `${testsFolder}test_pyagent_${file.module.replace(/\./g, "_")}.py`;
      return [task("tests", `test(${file.module}): add tests for ${names.slice(0, 4).join(", ")}${names.length > 4 ? ", ..." : ""}`, [path], untested.length * 1.5, { detail: names.join(", "), source: file.path, module: file.module })];
    });
  },
};
