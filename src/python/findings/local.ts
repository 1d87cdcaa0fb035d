import type { AnalysisNode } from "../parse/flat-node.js";
import type { Finding, ModuleFacts } from "../types.js";
import { isTestFile } from "./conventions.js";
import { analysisFor } from "./facts.js";
import { SourceLines } from "./noqa.js";

/** Confidence of an unused local: the whole function was read, and nothing in it reads the name. */
export const UNUSED_VARIABLE_CONFIDENCE = 100;
export const UNUSED_IMPORT_CONFIDENCE = 90;
export const UNREACHABLE_CONFIDENCE = 100;
/**
 * Unreachable code that holds its function's only `yield` (`raise Error` then `yield`): it keeps the
 * function a generator on purpose, so deleting it changes behaviour.
 */
export const GENERATOR_KEEPER_CONFIDENCE = 40;
/**
 * An unused module-level import that is likely a re-export for outside users: imported from a
 * private module (`from _ssl import MemoryBIO` in ssl.py) or part of a facade module (no functions
 * or classes, mostly unused imports); or in a module that reads its globals by computed name
 * (`globals()[name]`, `eval`, `exec`).
 */
export const REEXPORT_LIKE_CONFIDENCE = 50;
/**
 * An unused local that may hold a reference on purpose: in a test file, a value that constructs
 * or calls something (`ref = Thing()`, `x = [{} for _ in range(n)]`, kept alive for gc, weakref
 * and timing checks) or an annotated one (annotation test data); anywhere, a value taken out of
 * a container (`old = root[RESULT]`, `d = dicts.pop(key)`), freed when the function returns
 * instead of mid-update.
 */
export const KEEP_ALIVE_CONFIDENCE = 50;

/**
 * `from sysconfig import ...` in `distutils/sysconfig.py`: a module wrapping its namesake
 * re-exports what it imports from it.
 */
function wrapsNamesake(binding: { module: string; fromImport: boolean; scope: string }, path: string): boolean {
  if (!binding.fromImport || binding.scope !== "module") return false;
  const stem = path.slice(path.lastIndexOf("/") + 1).replace(/\.py$/, "");
  return stem !== "__init__" && binding.module.replace(/^\.+/, "").split(".").pop() === stem;
}

/**
 * Findings that need only this file: unused imports, unused function locals, unreachable code.
 * Imports at module or class level of a package `__init__.py` are its public face and never
 * reported (vulture does the same); imports inside its functions still are.
 */
export function localFindings(
  root: AnalysisNode,
  source: string,
  path: string,
  facts: ModuleFacts,
  options: { isPackageInit: boolean },
): Finding[] {
  const analysis = analysisFor(root, source, facts);
  const lines = new SourceLines(source);
  const findings: Finding[] = [];
  const testFile = isTestFile(path);
  const stringNames = new Set(facts.stringNames ?? []);
  for (const binding of analysis.unusedImports) {
    if (options.isPackageInit && binding.scope !== "function") continue;
    if (lines.silenced("unused-import", binding.line, binding.endLine)) continue;
    findings.push({
      rule: "unused-import",
      path,
      line: binding.line,
      endLine: binding.endLine,
      message: `unused import '${binding.name}'`,
      // A module name spelled by a string in the file (`assertIn("sched", sys.modules)`,
      // `importlib.reload`) may be the import's use.
      confidence: binding.likelyReexport || stringNames.has(binding.name) || wrapsNamesake(binding, path) ? REEXPORT_LIKE_CONFIDENCE : UNUSED_IMPORT_CONFIDENCE,
      symbol: binding.name,
    });
  }
  for (const local of analysis.unusedLocals) {
    if (lines.silenced("unused-variable", local.line)) continue;
    findings.push({
      rule: "unused-variable",
      path,
      line: local.line,
      endLine: local.endLine,
      message: local.kind === "exception" ? `unused exception variable '${local.name}'` : `unused variable '${local.name}'`,
      confidence: local.holdsReference || (testFile && (local.constructs || local.annotated)) ? KEEP_ALIVE_CONFIDENCE : UNUSED_VARIABLE_CONFIDENCE,
      symbol: local.name,
    });
  }
  for (const block of analysis.unreachable) {
    if (lines.silenced("unreachable-code", block.line)) continue;
    findings.push({
      rule: "unreachable-code",
      path,
      line: block.line,
      endLine: block.endLine,
      message: block.keepsGenerator ? `${block.message} (it keeps the function a generator)` : block.message,
      confidence: block.keepsGenerator ? GENERATOR_KEEPER_CONFIDENCE : UNREACHABLE_CONFIDENCE,
      symbol: block.symbol,
    });
  }
  findings.sort((a, b) => a.line - b.line);
  return findings;
}
