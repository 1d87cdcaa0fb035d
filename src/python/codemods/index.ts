export { applyEdits, type TextEdit } from "./edits.js";
export { CodemodError } from "./errors.js";
export type { CodemodResult } from "./result.js";
export { removeUnusedImports, type UnusedImportsOptions } from "./unused-imports.js";
export { removeUnusedVariables, type UnusedVariablesOptions } from "./unused-variables.js";
export { removeDeadCode } from "./dead-code.js";
export { findLazyImports, moveImportsIntoFunctions, repeatedCalls, type LazyImportCandidate, type LazyImportOptions } from "./lazy-imports.js";
export { splitModule, type SplitModuleOptions, type SplitModuleResult, type SplitPart } from "./split-module/index.js";
export { snakeCase } from "./split-module/index.js";
