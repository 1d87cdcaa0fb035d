import { existsSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadConfig, UsageError, type ConfigOverrides } from "../../../core/index.js";
import { type CodeGraph, type FileRecord, SqliteStore } from "../../../knowledge/index.js";
// Modules, not python/index.js: a run starts handing files to the parser threads before the
// analyzers, the graph and the reports are loaded (they load while the threads parse, or at the end).
import { decodeFacts, encodeFacts } from "../../../python/analyze/facts-codec.js";
import { moduleGraphRows } from "../../../python/analyze/graph-rows.js";
import { moduleNames } from "../../../python/analyze/modules.js";
import { type AnalyzedFile, analyzeProject, type FileCache, type ProjectResults } from "../../../python/analyze/project.js";
import type { FileAnalysis, ModuleFacts } from "../../../python/types.js";
import { failures, parseFailOn } from "../fail-on.js";
import { PYAGENT_VERSION } from "../version.js";
import type { AnalyzeFlags } from "./analyze.js";

/** Bump when per-file analysis results change shape or meaning, so stored results are recomputed. */
const ANALYSIS_FORMAT = "5"; // 4: nested functions (closures); 5: files with lone-CR line ends parse (they were syntax errors)

/** `pyagent analyze`: the whole command once its flags are parsed; resolves to the exit code. */
export async function runAnalyze(pathArgument: string, flags: AnalyzeFlags, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  const root = resolve(pathArgument);
  if (!existsSync(root)) throw new UsageError(`${pathArgument}: no such file or directory`);
  if (!statSync(root).isDirectory()) throw new UsageError(`${pathArgument}: not a directory (analyze takes a folder)`);
  const conditions = parseFailOn(flags.failOn);
  if (flags.output && !existsSync(dirname(resolve(flags.output)))) throw new UsageError(`--output ${flags.output}: folder ${dirname(flags.output)} does not exist`);
  const overrides: ConfigOverrides = {
    jobs: flags.jobs,
    minConfidence: flags.minConfidence,
    maxComplexity: flags.maxComplexity,
    maxModuleLines: flags.maxModuleLines,
    maxFileBytes: flags.maxFileBytes,
    includeIgnored: flags.includeIgnored,
    // A --store flag is relative to the working folder; `store` in pyproject.toml to the project.
    store: flags.store === undefined ? undefined : resolve(flags.store),
  };
  const config = loadConfig(root, overrides);
  if (flags.exclude.length > 0) config.exclude = [...config.exclude, ...flags.exclude];

  const store = openStore(config.store ? resolve(root, config.store) : join(root, ".pyagent"), io.stderr);
  try {
    const cacheVersion = `${PYAGENT_VERSION}/${ANALYSIS_FORMAT}`;
    if (store && store.getMeta("analysis_version") !== cacheVersion) {
      store.clearFileRecords();
      store.setMeta("project_results", "");
      store.setMeta("analysis_version", cacheVersion);
    }
    const records = store && flags.cache ? store.readFileRecords() : new Map<string, FileRecord>();
    const cache: FileCache = {
      get(path) {
        const record = records.get(path);
        if (!record) return undefined;
        return { hash: record.hash, size: record.size, mtimeMs: record.mtimeMs, analysis: () => fromRecord(record) };
      },
      projectResults(digest) {
        const stored = flags.cache ? store?.getMeta("project_results") : undefined;
        if (!stored) return undefined;
        const results = JSON.parse(stored) as ProjectResults;
        return results.digest === digest ? results : undefined;
      },
    };
    // The bar's module is loaded only for a terminal.
    const bar =
      flags.progress && (io.stderr as NodeJS.WriteStream).isTTY
        ? new (await import("cli-progress")).SingleBar({ stream: io.stderr, format: "parsing {bar} {value}/{total} files", hideCursor: true })
        : undefined;
    // With nothing stored, every file is parsed now and the graph is rebuilt whole: its per-module
    // rows are then written as files arrive, under the module names their paths give (checked at
    // the end; see graphStream.finish).
    const graphStream = store && records.size === 0 ? new GraphStream(store) : undefined;
    const analysis = await analyzeProject(root, {
      config,
      cache,
      // Results are written while other files are still being parsed: the main thread is idle then.
      onFilesAnalyzed(batch) {
        if (!store) return;
        store.updateFileRecords(batch.map(({ analysis: result, size, mtimeMs }) => toRecord(result, size, mtimeMs)), []);
        graphStream?.add(batch.map(({ analysis: result }) => result));
      },
      onProgress(event) {
        if (event.type === "discover-end") graphStream?.start(event.paths);
        if (!bar) return;
        if (event.type === "parse-start" && event.total > 50) bar.start(event.total, 0);
        else if (event.type === "parse-delta") bar.update(event.done);
        else if (event.type === "parse-end") bar.stop();
      },
    });
    // The graph is rebuilt only when something changed (building it reads every file's facts).
    const graphDigest = analysis.projectResults.digest;
    const graphIsCurrent = store !== undefined && store.getMeta("graph_digest") === graphDigest;
    const graphModule = await import("../../../python/analyze/graph.js");
    const streamed = graphStream?.finish(analysis.files, graphModule.linkGraphRows) ?? false;
    const freshGraph = graphIsCurrent || streamed ? undefined : graphModule.buildProjectGraph(analysis.files);
    if (store) {
      const seen = new Set(analysis.seenPaths);
      const removed = [...records.keys()].filter((path) => !seen.has(path));
      store.updateFileRecords([], removed);
      if (freshGraph) store.replaceGraph(freshGraph);
      if (freshGraph || streamed) store.setMeta("graph_digest", graphDigest);
      store.setMeta("project_results", JSON.stringify(analysis.projectResults));
    }
    const report = (await import("../../report/analysis-json.js")).toAnalysisReport(analysis);
    const rendered =
      flags.format === "json" ? JSON.stringify(report, null, 2) + "\n"
      : flags.format === "sarif" ? JSON.stringify((await import("../../report/sarif.js")).toSarif(report, PYAGENT_VERSION), null, 2) + "\n"
      : flags.format === "md" ? (await import("../../report/markdown.js")).toMarkdown(report)
      : flags.format === "html" ? (await import("../../report/html.js")).toHtml(report, freshGraph ?? graphModule.buildProjectGraph(analysis.files))
      : (await import("../../report/terminal.js")).toTerminalSummary(report);
    if (flags.output) writeFileSync(flags.output, rendered);
    else io.stdout.write(rendered);

    const functions = report.files.flatMap((file) => file.functions.map((block) => ({ ...block, path: file.path })));
    const failed = failures(conditions, analysis.findings, functions);
    if (failed.length > 0) {
      for (const message of failed.slice(0, 20)) io.stderr.write(`${message}\n`);
      io.stderr.write(`pyagent: --fail-on matched ${failed.length} finding${failed.length === 1 ? "" : "s"}\n`);
      return 1;
    }
    return 0;
  } finally {
    store?.close();
  }
}

/** A file's analysis as the store keeps it: facts apart from the rest, so a warm run need not parse them. */
function toRecord(result: FileAnalysis, size: number, mtimeMs: number): FileRecord {
  if (result.state === "error") return { path: result.path, hash: result.hash, size, mtimeMs, payload: JSON.stringify(result), facts: "null" };
  const { facts, ...rest } = result;
  return { path: result.path, hash: result.hash, size, mtimeMs, payload: JSON.stringify(rest), facts: encodeFacts(facts) };
}

/** The inverse of `toRecord`; `facts` is parsed on first read. */
function fromRecord(record: FileRecord): FileAnalysis {
  const analysis = JSON.parse(record.payload) as FileAnalysis;
  if (analysis.state === "ok") {
    let facts: ModuleFacts | undefined;
    Object.defineProperty(analysis, "facts", {
      enumerable: true,
      configurable: true,
      get: () => (facts ??= decodeFacts(record.facts)),
      set: (value: ModuleFacts) => {
        facts = value;
      },
    });
  }
  return analysis;
}

/** The store is an optimisation for analyze: when it cannot be opened, say so once and go on without it. */
function openStore(directory: string, stderr: NodeJS.WritableStream): SqliteStore | undefined {
  try {
    return SqliteStore.open(directory);
  } catch (error) {
    if ((error as Error).name === "StateVersionError") throw error;
    stderr.write(`pyagent: warning: ${(error as Error).message}; analyzing without the store\n`);
    return undefined;
  }
}

/**
 * The code graph written while the files are analyzed: each module's own rows (definitions, calls)
 * as its analysis arrives, the rows that need the whole project (modules, import edges) at the end.
 */
class GraphStream {
  private names = new Map<string, { module: string; isPackage: boolean }>();

  constructor(private readonly store: SqliteStore) {}

  /** Begins with every file found: the module names their paths give. */
  start(paths: string[]): void {
    this.store.setMeta("graph_digest", "");
    this.store.clearGraph();
    this.names = moduleNames(paths);
  }

  add(analyses: FileAnalysis[]): void {
    const modules = analyses.flatMap((analysis) => (analysis.state === "ok" ? [{ module: this.names.get(analysis.path)!.module, facts: analysis.facts }] : []));
    this.store.appendGraphRows(moduleGraphRows(modules));
  }

  /**
   * Completes the graph and says whether it is whole. It is not when a file failed, so that names
   * counted from every path differ from the analyzed files' (a package whose `__init__.py` has a
   * syntax error is no package): the caller then writes the graph again from the analyzed files.
   */
  finish(files: AnalyzedFile[], linkGraphRows: (files: AnalyzedFile[]) => Pick<CodeGraph, "modules" | "imports">): boolean {
    if (files.some((file) => this.names.get(file.path)?.module !== file.module)) return false;
    this.store.finishGraph(linkGraphRows(files));
    return true;
  }
}
