import { removeUnusedImports } from "../../python/codemods/index.js";
import { perFileAgent } from "./per-file.js";
import { findingSymbols, isPackageInit, moduleOf, subject } from "./planning.js";
import { importedNamesByModule } from "./references.js";

/**
 * One task per file with `unused-import` findings, leaving out names other modules import from
 * that file (`from pkg.mod import helper` re-uses mod's import), package `__init__.py` files,
 * whose imports are their API, and `conftest.py`, whose imports are fixtures for other files.
 */
export const unusedImportsAgent = perFileAgent({
  name: "unused-imports",
  description: "Removes imported names nothing reads (keeps __all__ and `x as x` re-exports, # noqa, side-effect imports, __init__.py).",
  rule: "unused-import",
  summary: (module, findings) => subject(module, "remove", findings.length, "unused import", findings.map((finding) => finding.symbol ?? "")),
  // conftest.py imports fixtures for other test files, which pytest finds by name.
  skip: (path) => isPackageInit(path) || path === "conftest.py" || path.endsWith("/conftest.py"),
  keepFinding(analysis) {
    const importedElsewhere = importedNamesByModule(analysis);
    return (finding) => !(finding.symbol && importedElsewhere.get(moduleOf(analysis, finding.path))?.has(finding.symbol));
  },
  fix: (parser, source, path, task) => removeUnusedImports(parser, source, { names: findingSymbols(task.findings), isPackageInit: isPackageInit(path) }),
});
