import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { ConfigError } from "./errors.js";

/** What a configuration value must be; `describe` and `check` below are the whole validator. */
type Rule =
  | { type: "strings" }
  | { type: "boolean" }
  | { type: "integer"; min: number; max?: number }
  | { type: "string" };

interface Field<T> {
  rule: Rule;
  default: T;
  toml: string;
  description: string;
}

/**
 * The one source of truth for PyAgent's configuration. Keys are read from `[tool.pyagent]` in the
 * target repository's `pyproject.toml` (kebab-case, the Python convention) and may be overridden by
 * CLI flags. Every key has a default and a description; the README's table is generated from this.
 * (Checked by hand, not by a schema library: every command loads this, and zod alone took ~55 ms
 * of each `pyagent analyze` start.)
 */
export const configFields = {
  exclude: {
    rule: { type: "strings" },
    default: [] as string[],
    toml: "exclude",
    description: "Extra gitignore-style patterns of paths to skip (virtualenvs, tool caches and .gitignore'd paths are skipped already).",
  },
  includeIgnored: {
    rule: { type: "boolean" },
    default: false,
    toml: "include-ignored",
    description: "Also analyze files that .gitignore ignores.",
  },
  maxModuleLines: {
    rule: { type: "integer", min: 1 },
    default: 500,
    toml: "max-module-lines",
    description: "A module longer than this many lines is reported as `oversized-module`.",
  },
  maxComplexity: {
    rule: { type: "integer", min: 1 },
    default: 25,
    toml: "max-complexity",
    description: "A function whose cyclomatic complexity exceeds this is reported as `complexity-hotspot`.",
  },
  minConfidence: {
    rule: { type: "integer", min: 0, max: 100 },
    default: 60,
    toml: "min-confidence",
    description: "Findings below this confidence (0-100) are not reported.",
  },
  maxFileBytes: {
    rule: { type: "integer", min: 1 },
    default: 5_000_000,
    toml: "max-file-bytes",
    description: "Files larger than this are reported in `errors` and not parsed (huge generated files).",
  },
  jobs: {
    rule: { type: "integer", min: 0 },
    default: 0,
    toml: "jobs",
    description: "Parser worker threads; 0 picks one per core (less one with the native parser; none on one core).",
  },
  sandboxEnv: {
    rule: { type: "strings" },
    default: [] as string[],
    toml: "sandbox-env",
    description: "Environment variables the proofs' sandbox lets through besides PATH, LANG, LC_*, TERM, TZ and Python's own settings. Names of secrets (`*_KEY`, `*_TOKEN`, provider variables) are refused here, since pyproject.toml is repository content: pass those with `--sandbox-env`.",
  },
  sandboxCpuSeconds: {
    rule: { type: "integer", min: 0 },
    default: 1800,
    toml: "sandbox-cpu-seconds",
    description: "CPU seconds each proof process may use (0: no limit).",
  },
  sandboxMemoryMb: {
    rule: { type: "integer", min: 0 },
    default: 8192,
    toml: "sandbox-memory-mb",
    description: "Address space of each proof process, in MiB (0: no limit).",
  },
  sandboxProcesses: {
    rule: { type: "integer", min: 0 },
    default: 512,
    toml: "sandbox-processes",
    description: "Processes a proof may run at once (a pids cgroup where one can be made, else RLIMIT_NPROC above the user's count; 0: no limit).",
  },
  sandboxFileMb: {
    rule: { type: "integer", min: 0 },
    default: 1024,
    toml: "sandbox-file-mb",
    description: "Largest file a proof process may write, in MiB (0: no limit).",
  },
  sandboxTmpMb: {
    rule: { type: "integer", min: 0 },
    default: 1024,
    toml: "sandbox-tmp-mb",
    description: "Size of the sandbox's private /tmp, in MiB (0: the kernel's default).",
  },
  store: {
    rule: { type: "string" },
    default: undefined as string | undefined,
    toml: "store",
    description: "Directory of the SQLite store (default `PATH/.pyagent`).",
  },
  testCommand: {
    rule: { type: "string" },
    default: undefined as string | undefined,
    toml: "test-command",
    description:
      "The command that runs the project's tests for `pyagent improve`'s proof, a pytest or unittest invocation (`python -m pytest --doctest-modules`, `python -m unittest discover -s tests`); default: found in tox, nox, the Makefile's `test` target, CI workflows, or pytest's configuration.",
  },
} satisfies Record<string, Field<unknown>>;

type Fields = typeof configFields;
export type PyAgentConfig = { -readonly [K in keyof Fields]: Fields[K]["default"] };
export type ConfigOverrides = Partial<PyAgentConfig>;

/** What the rule asks for, as an error message says it. */
function describe(rule: Rule): string {
  switch (rule.type) {
    case "strings":
      return "a list of strings";
    case "boolean":
      return "true or false";
    case "string":
      return "a string";
    case "integer":
      return rule.max === undefined ? `an integer >= ${rule.min}` : `an integer from ${rule.min} to ${rule.max}`;
  }
}

function check(rule: Rule, value: unknown): boolean {
  switch (rule.type) {
    case "strings":
      return Array.isArray(value) && value.every((item) => typeof item === "string");
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value) && value >= rule.min && (rule.max === undefined || value <= rule.max);
  }
}

const tomlToKey = new Map<string, keyof Fields>(
  (Object.keys(configFields) as (keyof Fields)[]).map((key) => [configFields[key].toml, key]),
);

/** Reads `[tool.pyagent]` from `root/pyproject.toml` (if any), applies overrides, validates once. */
export function loadConfig(root: string, overrides: ConfigOverrides = {}): PyAgentConfig {
  const fromFile = readPyprojectSection(root);
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[key] = value;
  }
  return validateConfig(merged, fromFile);
}

function readPyprojectSection(root: string): Record<string, unknown> {
  const file = join(root, "pyproject.toml");
  if (!existsSync(file)) return {};
  let document: Record<string, unknown>;
  try {
    document = parseToml(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`pyproject.toml is not valid TOML: ${(error as Error).message.split("\n")[0]}`, { file });
  }
  const tool = document.tool as Record<string, unknown> | undefined;
  const section = tool?.pyagent;
  if (section === undefined) return {};
  if (typeof section !== "object" || section === null || Array.isArray(section)) {
    throw new ConfigError("[tool.pyagent] in pyproject.toml must be a table", { file });
  }
  const result: Record<string, unknown> = {};
  for (const [tomlKey, value] of Object.entries(section)) {
    const key = tomlToKey.get(tomlKey);
    if (key === undefined) {
      if (typeof value === "object" && value !== null && !Array.isArray(value)) continue; // sub-tables belong to other parts (models, ...)
      throw new ConfigError(
        `unknown key tool.pyagent.${tomlKey} in pyproject.toml (known keys: ${[...tomlToKey.keys()].join(", ")})`,
        { file, key: tomlKey },
      );
    }
    result[key] = value;
  }
  return result;
}

function validateConfig(values: Record<string, unknown>, fromFile: Record<string, unknown>): PyAgentConfig {
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(configFields) as (keyof Fields)[]) {
    const field: Field<unknown> = configFields[key];
    const value = values[key];
    if (value === undefined) {
      result[key] = Array.isArray(field.default) ? [...field.default] : field.default;
      continue;
    }
    if (!check(field.rule, value)) {
      const where = key in fromFile && fromFile[key] === value ? `tool.pyagent.${field.toml} in pyproject.toml` : `--${field.toml}`;
      throw new ConfigError(`invalid ${where}: expected ${describe(field.rule)}, got ${JSON.stringify(value)}`, { key: field.toml });
    }
    result[key] = value;
  }
  return result as PyAgentConfig;
}
