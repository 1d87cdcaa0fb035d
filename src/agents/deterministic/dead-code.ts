import { removeDeadCode } from "../../python/codemods/index.js";
import { perFileAgent } from "./per-file.js";
import { subject } from "./planning.js";

const JUMPS = new Set(["return", "raise", "continue", "break"]);

/**
 * One task per file with `unreachable-code` findings after a jump (`return`, `raise`, `continue`,
 * `break`); unsatisfiable conditions (`if False:`) are left to a person, since deleting the
 * branch may delete code someone keeps switched off on purpose.
 */
export const deadCodeAgent = perFileAgent({
  name: "dead-code",
  description: "Removes unreachable statements after return, raise, continue and break.",
  rule: "unreachable-code",
  summary: (module, findings) => subject(module, "remove", findings.length, "unreachable block", findings.map((finding) => `after ${finding.symbol ?? "return"}`)),
  keepFinding: () => (finding) => finding.symbol === undefined || JUMPS.has(finding.symbol),
  fix: (parser, source) => removeDeadCode(parser, source),
});
