import { removeDeadCode } from "../../python/codemods/index.js";
import { perFileAgent } from "./per-file.js";

/** One task per file with `unreachable-code` findings; the codemod removes code after return/raise/continue/break. */
export const deadCodeAgent = perFileAgent({
  name: "dead-code",
  description: "Removes unreachable statements after return, raise, continue and break.",
  rule: "unreachable-code",
  summary: "remove unreachable code",
  fix: (parser, source) => removeDeadCode(parser, source),
});
