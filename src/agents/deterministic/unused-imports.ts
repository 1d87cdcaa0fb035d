import { removeUnusedImports } from "../../python/codemods/index.js";
import { perFileAgent } from "./per-file.js";
import { findingSymbols, isPackageInit } from "./planning.js";

/** One task per file with `unused-import` findings (never a package `__init__.py`, whose imports are its API). */
export const unusedImportsAgent = perFileAgent({
  name: "unused-imports",
  description: "Removes imported names nothing reads (keeps __all__ and `x as x` re-exports, # noqa, side-effect imports, __init__.py).",
  rule: "unused-import",
  summary: "remove unused imports",
  skip: isPackageInit,
  fix: (parser, source, path, task) => removeUnusedImports(parser, source, { names: findingSymbols(task.findings), isPackageInit: isPackageInit(path) }),
});
