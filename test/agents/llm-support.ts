import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { auditPath, stateDirectory } from "../../src/fleet/index.js";
import type { Cassette } from "../../src/providers/index.js";
import { git, makeRepo } from "../fleet/repo.js";
import { runCli } from "../helpers/cli.js";

export { PYTHON, git, makeRepo, removeTempDirs, showFile, tempDir } from "../fleet/repo.js";

/** One scripted answer: the request's messages contain `contains` (JSON-escaped), the reply is `text`. */
export function answer(contains: string, text: string, usage = { prompt_tokens: 100, completion_tokens: 50 }): Cassette["interactions"][number] {
  return { match: { contains }, response: { text, usage } };
}

export function block(path: string, search: string, replace: string): string {
  return `${path}\n<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE\n`;
}

/** Points the repo's `[tool.pyagent.models]` at `models` (name → base URL) and commits it. */
export function configureModels(root: string, models: Array<{ name: string; url: string; tier?: string }>, price = { input: 1, output: 2 }): void {
  const tables = models.map((model) => `[tool.pyagent.models.${model.name}]\nprovider = "openai-compatible"\nmodel = "scripted"\nbase-url = "${model.url}"\ntier = "${model.tier ?? "medium"}"\ninput-price = ${price.input}\noutput-price = ${price.output}\n`);
  writeFileSync(join(root, "pyproject.toml"), `[project]\nname = "sample"\nversion = "0.1.0"\n\n${tables.join("\n")}`);
  git(root, "add", "pyproject.toml");
  git(root, "commit", "-q", "-m", "configure models");
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: {
    id: string;
    runBranch: string;
    report: string;
    tasks: Array<{ id: string; agent: string; title: string; state: string; reason?: string; commit?: string; review?: Array<{ message: string }> }>;
    models?: { spend: { total: { usd: number; tokens: number; calls: number }; agents: Record<string, { usd: number; tokens: number; calls: number }> }; stopped: string | null; directorFallback: string | null };
  };
}

/** `pyagent improve ROOT --format json ...` in this process. */
export async function improveJson(root: string, ...args: string[]): Promise<CliRun> {
  const result = await runCli("improve", root, "--format", "json", "--no-progress", "-j", "1", "--python", "/usr/bin/python3", ...args);
  let json: CliRun["json"];
  try {
    json = JSON.parse(result.stdout) as CliRun["json"];
  } catch {
    throw new Error(`improve did not print JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { ...result, json };
}

/** The run's audit trail, one parsed record per line. */
export function auditRecords(root: string, runId: string): Array<{ type: string; data: Record<string, unknown> }> {
  return readFileSync(auditPath(stateDirectory(root), runId), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; data: Record<string, unknown> });
}

export { makeRepo as makePythonRepo };
