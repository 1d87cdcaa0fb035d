import type { FindingRule } from "../../python/index.js";

/** What each finding rule means, for SARIF rule metadata, Markdown and HTML legends. */
export const RULES: Record<FindingRule, { title: string; help: string; level: "error" | "warning" | "note" }> = {
  "unused-import": { title: "Unused import", help: "The imported name is never used in the module. Remove it, or list it in __all__ if it is a re-export.", level: "warning" },
  "unused-variable": { title: "Unused local variable", help: "A local variable is assigned but never read. Remove the assignment or name it `_`.", level: "warning" },
  "unreachable-code": { title: "Unreachable code", help: "Statements after return/raise/continue/break in the same block never run.", level: "warning" },
  "unused-function": { title: "Unused function", help: "No module of the project references this function by name.", level: "note" },
  "unused-class": { title: "Unused class", help: "No module of the project references this class by name.", level: "note" },
  "unused-method": { title: "Unused method", help: "No module of the project references this method by name.", level: "note" },
  "unused-attribute": { title: "Unused attribute", help: "No module of the project reads this attribute.", level: "note" },
  "unused-property": { title: "Unused property", help: "No module of the project reads this property.", level: "note" },
  "import-cycle": { title: "Import cycle", help: "Modules import each other at load time; break the cycle by moving shared code or importing lazily.", level: "warning" },
  "oversized-module": { title: "Oversized module", help: "The module is longer than max-module-lines; split it into cohesive submodules.", level: "note" },
  "complexity-hotspot": { title: "Complexity hotspot", help: "The function's cyclomatic complexity is over max-complexity; split it into smaller functions.", level: "warning" },
};
