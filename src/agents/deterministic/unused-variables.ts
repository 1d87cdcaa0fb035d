import { removeUnusedVariables } from "../../python/codemods/index.js";
import { perFileAgent } from "./per-file.js";
import { findingSymbols, subject } from "./planning.js";

/** One task per file with `unused-variable` findings. */
export const unusedVariablesAgent = perFileAgent({
  name: "unused-variables",
  description: "Removes unused local assignments without side effects; `x = f()` keeps the call as `f()`.",
  rule: "unused-variable",
  summary: (module, findings) => subject(module, "remove", findings.length, "unused variable", findings.map((finding) => finding.symbol ?? "")),
  fix: (parser, source, _path, task) => removeUnusedVariables(parser, source, { names: findingSymbols(task.findings) }),
});
