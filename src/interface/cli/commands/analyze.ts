import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { UsageError } from "../../../core/errors.js";
import { defaultParserThreads, prestartParserThreads, stopIdleParserThreads } from "../../../python/analyze/pool.js";

export interface AnalyzeFlags {
  format: "text" | "json" | "sarif" | "md" | "html";
  output?: string;
  store?: string;
  failOn: string[];
  jobs?: number;
  minConfidence?: number;
  maxComplexity?: number;
  maxModuleLines?: number;
  maxFileBytes?: number;
  exclude: string[];
  includeIgnored?: boolean;
  cache: boolean;
  progress: boolean;
}

function integer(name: string) {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw new UsageError(`invalid --${name} '${value}': expected a non-negative integer`);
    return Number(value);
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerAnalyzeCommand(program: Command, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): void {
  program
    .command("analyze")
    .description("metrics, findings and the code graph of a Python codebase")
    .argument("[path]", "folder to analyze", ".")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "sarif", "md", "html"]).default("text"))
    .option("-o, --output <file>", "write the report to FILE instead of standard output")
    .option("--store <dir>", "folder of the SQLite store (default PATH/.pyagent)")
    .option("--fail-on <condition>", "exit 1 when findings match: RULE, any, or complexity>N (repeatable, comma-separated)", collect, [])
    .option("-j, --jobs <n>", "parser threads (0 = one per core, less one with the native parser)", integer("jobs"))
    .option("--min-confidence <n>", "hide findings below this confidence (0-100)", integer("min-confidence"))
    .option("--max-complexity <n>", "complexity above which a function is a hotspot", integer("max-complexity"))
    .option("--max-module-lines <n>", "lines above which a module is oversized", integer("max-module-lines"))
    .option("--max-file-bytes <n>", "files larger than this are reported in errors, not parsed", integer("max-file-bytes"))
    .option("--exclude <pattern>", "gitignore-style pattern of paths to skip (repeatable)", collect, [])
    .option("--include-ignored", "also analyze files that .gitignore ignores")
    .option("--no-cache", "re-parse every file even if unchanged since the last run")
    .option("--no-progress", "no progress bar")
    .action(async (path: string, flags: AnalyzeFlags) => {
      if (looksCold(path, flags)) prestartParserThreads(flags.jobs || defaultParserThreads());
      // The rest of the command (configuration, store, analyzers, reports) loads while they start.
      try {
        const { runAnalyze } = await import("./analyze-run.js");
        program.setOptionValue("exitCode", await runAnalyze(path, flags, io));
      } finally {
        stopIdleParserThreads(); // any the run did not take
      }
    });
}

/**
 * Whether this run will most likely parse many files: no store yet where the flags put it, or the
 * cache is off. Then the parser threads are started before anything else loads. A guess only (the
 * store may be elsewhere by pyproject.toml, files may have changed): a wrong guess costs at most
 * threads started for nothing, or started later, by the run itself.
 */
function looksCold(path: string, flags: AnalyzeFlags): boolean {
  const store = flags.store === undefined ? join(resolve(path), ".pyagent") : resolve(flags.store);
  return !flags.cache || !existsSync(join(store, "pyagent.db"));
}

