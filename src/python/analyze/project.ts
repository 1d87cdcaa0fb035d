import { contentHash, type PyAgentConfig } from "../../core/index.js";
import type { ProjectModule } from "../findings/index.js";
import type { FileAnalysis, Finding } from "../types.js";
import { discoverPythonFiles } from "./discover.js";
import { moduleNames } from "./modules.js";
import { analyzeInParallel, defaultParserThreads } from "./pool.js";
import type { WorkItem } from "./work-item.js";

/** In the `errors` message of a file not parsed for its size (the fleet reports these apart). */
export const OVER_MAX_FILE_BYTES = "over max-file-bytes";

export type AnalyzedFile = Extract<FileAnalysis, { state: "ok" }> & { module: string; isPackage: boolean };

/** A previous analysis of a file, as a cache returns it. */
export interface CachedFile {
  hash: string;
  size: number;
  mtimeMs: number;
  analysis: () => FileAnalysis;
}

/** Project-wide results (cross-module findings and cycles), valid for one digest of every file's content and the thresholds. */
export interface ProjectResults {
  digest: string;
  findings: Finding[];
  cycles: string[][];
  /** `path\0symbol` of per-file unused-import findings that another module imports by name (re-exports). */
  reexportedImports: string[];
  /** Paths whose functions' locals may be read through frames: their unused-variable findings are lowered. */
  frameReadPaths?: string[];
  /** `path\0symbol` of unused-import findings that importers read as an attribute of the module: lowered to re-export confidence. */
  attributeReexports?: string[];
}

/** Where earlier results come from (the project store), so unchanged files are not re-parsed. */
export interface FileCache {
  get(path: string): CachedFile | undefined;
  /** The project-wide results stored for `digest`, if any. */
  projectResults?(digest: string): ProjectResults | undefined;
}

export type AnalyzeProgress =
  /** `paths`: every file found that is not an error (relative to the root, in path order). */
  | { type: "discover-end"; files: number; paths: string[] }
  | { type: "parse-start"; total: number }
  | { type: "parse-delta"; done: number; total: number }
  | { type: "parse-end"; parsed: number; reused: number };

export interface AnalyzeOptions {
  config: PyAgentConfig;
  cache?: FileCache;
  onProgress?: (event: AnalyzeProgress) => void;
  /**
   * Every per-file result the cache should take back: each batch of newly analyzed files as it
   * arrives, while other files are still being parsed (so the caller can store them off the critical
   * path), and files touched but unchanged (their new size and mtime).
   */
  onFilesAnalyzed?: (batch: Array<{ analysis: FileAnalysis; size: number; mtimeMs: number }>) => void;
}

export interface ProjectAnalysis {
  root: string;
  files: AnalyzedFile[];
  findings: Finding[];
  cycles: string[][];
  errors: Array<{ path: string; message: string }>;
  /** Paths that were analyzed this run, including errors (to prune the cache). */
  seenPaths: string[];
  /** Cross-module findings and cycles of this run, with the digest they are valid for. */
  projectResults: ProjectResults;
  stats: { discovered: number; parsed: number; reused: number; milliseconds: number };
}

/** Analyzes every Python file under `root`: per-file metrics and findings, then project-wide findings. */
export async function analyzeProject(root: string, options: AnalyzeOptions): Promise<ProjectAnalysis> {
  const started = performance.now();
  const { config, cache, onProgress = () => {}, onFilesAnalyzed = () => {} } = options;
  const discovered = discoverPythonFiles(root, { exclude: config.exclude, includeIgnored: config.includeIgnored });
  onProgress({ type: "discover-end", files: discovered.length, paths: discovered.flatMap((entry) => (entry.state === "file" ? [entry.path] : [])) });

  const errors: Array<{ path: string; message: string }> = [];
  const results: FileAnalysis[] = [];
  const refreshed: Array<{ analysis: FileAnalysis; size: number; mtimeMs: number }> = [];
  const work: WorkItem[] = [];
  const statsByPath = new Map<string, { size: number; mtimeMs: number }>();
  const seenPaths: string[] = [];
  let reused = 0;

  for (const entry of discovered) {
    if (entry.state === "error") {
      errors.push({ path: entry.path, message: entry.message });
      continue;
    }
    seenPaths.push(entry.path);
    statsByPath.set(entry.path, { size: entry.size, mtimeMs: entry.mtimeMs });
    const cached = cache?.get(entry.path);
    if (cached && cached.size === entry.size && cached.mtimeMs === entry.mtimeMs) {
      results.push(cached.analysis());
      reused++;
      continue;
    }
    if (entry.size > config.maxFileBytes) {
      errors.push({ path: entry.path, message: `file is ${(entry.size / 1e6).toFixed(1)} MB, ${OVER_MAX_FILE_BYTES} (${config.maxFileBytes}); skipped as generated` });
      continue;
    }
    // Read, hashed and parsed by a parser thread; one whose content is the cached one's comes back "unchanged".
    work.push({ path: entry.path, absolutePath: entry.absolutePath, size: entry.size, cachedHash: cached?.hash });
  }

  let parsed = 0;
  if (work.length > 0) {
    onProgress({ type: "parse-start", total: work.length });
    const threads = config.jobs > 0 ? config.jobs : defaultParserThreads();
    const outcomes = await analyzeInParallel(work, threads, (done, batch) => {
      const fresh = batch.filter((outcome): outcome is FileAnalysis => outcome.state === "ok" || outcome.state === "error");
      if (fresh.length > 0) onFilesAnalyzed(fresh.map((analysis) => ({ analysis, ...statsByPath.get(analysis.path)! })));
      onProgress({ type: "parse-delta", done, total: work.length });
    });
    for (const outcome of outcomes) {
      if (outcome.state === "unreadable") {
        errors.push({ path: outcome.path, message: outcome.message });
      } else if (outcome.state === "unchanged") {
        // Touched but not changed: reuse, and refresh the stat fields in the cache.
        const analysis = cache!.get(outcome.path)!.analysis();
        results.push(analysis);
        refreshed.push({ analysis, ...statsByPath.get(outcome.path)! });
        reused++;
      } else {
        results.push(outcome);
        parsed++;
      }
    }
  }
  if (refreshed.length > 0) onFilesAnalyzed(refreshed);
  onProgress({ type: "parse-end", parsed, reused });

  const okResults = results.filter((result): result is Extract<FileAnalysis, { state: "ok" }> => result.state === "ok");
  for (const result of results) if (result.state === "error") errors.push({ path: result.path, message: result.message });
  const names = moduleNames(okResults.map((result) => result.path));
  // Object.assign, not a spread: a cached result's `facts` may be a lazy getter that must not be read here.
  const files: AnalyzedFile[] = okResults
    .map((result) => Object.assign(result, names.get(result.path)!))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const digest = contentHash(JSON.stringify([config.minConfidence, files.map((file) => [file.path, file.hash])]));
  const projectResults = cache?.projectResults?.(digest) ?? (await computeProjectResults(files, config.minConfidence, digest));
  const reexported = new Set(projectResults.reexportedImports);
  const { lowerFrameReadLocals, REEXPORT_LIKE_CONFIDENCE } = await import("../findings/index.js");
  const attributeReexports = new Set(projectResults.attributeReexports ?? []);
  const fileFindings = files.flatMap((file) => file.findings).filter((finding) => finding.rule !== "unused-import" || !reexported.has(`${finding.path}\u0000${finding.symbol ?? ""}`));
  const findings: Finding[] = [
    ...lowerFrameReadLocals(fileFindings, new Set(projectResults.frameReadPaths ?? [])).map((finding) =>
      finding.rule === "unused-import" && attributeReexports.has(`${finding.path}\u0000${finding.symbol ?? ""}`)
        ? { ...finding, confidence: Math.min(finding.confidence, REEXPORT_LIKE_CONFIDENCE) }
        : finding,
    ),
    ...projectResults.findings,
    ...sizeAndComplexityFindings(files, config),
  ];
  const reported = findings
    .filter((finding) => finding.confidence >= config.minConfidence)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0)));
  errors.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  return {
    root,
    files,
    findings: reported,
    cycles: projectResults.cycles,
    errors,
    seenPaths,
    projectResults,
    stats: { discovered: discovered.length, parsed, reused, milliseconds: performance.now() - started },
  };
}

/** Findings that need the whole project: unused definitions across modules, import cycles. */
async function computeProjectResults(files: AnalyzedFile[], minConfidence: number, digest: string): Promise<ProjectResults> {
  // Loaded here, not at the top: a run's start (discovery, handing files to the parser threads)
  // should not wait for the project-wide analyzers, which are needed only now.
  const { attributeReexportedImports, dropReexportedImports, frameReadPaths, importCycles, projectFindings } = await import("../findings/index.js");
  const modules: ProjectModule[] = files.map((file) => ({ path: file.path, module: file.module, isPackage: file.isPackage, facts: file.facts }));
  const findings = projectFindings(modules, { minConfidence });
  const cycles = importCycles(modules);
  const modulePaths = new Map(files.map((file) => [file.module, file.path]));
  for (const cycle of cycles) {
    findings.push({
      rule: "import-cycle",
      path: modulePaths.get(cycle[0]!) ?? "",
      line: 1,
      message: `import cycle: ${[...cycle, cycle[0]].join(" -> ")}`,
      confidence: 100,
      symbol: cycle[0],
    });
  }
  const unusedImports = files.flatMap((file) => file.findings).filter((finding) => finding.rule === "unused-import");
  const kept = new Set(dropReexportedImports(unusedImports, modules));
  const reexportedImports = unusedImports.filter((finding) => !kept.has(finding)).map((finding) => `${finding.path}\u0000${finding.symbol ?? ""}`);
  const attributeReexports = attributeReexportedImports([...kept], modules);
  return { digest, findings, cycles, reexportedImports, frameReadPaths: frameReadPaths(modules), attributeReexports };
}

function sizeAndComplexityFindings(files: AnalyzedFile[], config: PyAgentConfig): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    if (file.lines > config.maxModuleLines) {
      findings.push({
        rule: "oversized-module",
        path: file.path,
        line: 1,
        message: `module has ${file.lines} lines (limit ${config.maxModuleLines}); split it into cohesive submodules`,
        confidence: 100,
        symbol: file.module,
      });
    }
    for (const block of file.metrics.blocks) {
      if (block.kind !== "class" && block.complexity > config.maxComplexity) {
        findings.push({
          rule: "complexity-hotspot",
          path: file.path,
          line: block.line,
          endLine: block.endLine,
          message: `${block.name} has cyclomatic complexity ${block.complexity} (limit ${config.maxComplexity})`,
          confidence: 100,
          symbol: block.name,
        });
      }
    }
  }
  return findings;
}

