import type { DeterministicAgent, DeterministicAgentName } from "./types.js";
import { deadCodeAgent } from "./dead-code.js";
import { lazyImportsAgent } from "./lazy-imports.js";
import { splitModuleAgent } from "./split-module.js";
import { unusedImportsAgent } from "./unused-imports.js";
import { unusedVariablesAgent } from "./unused-variables.js";

export type { DeterministicAgent, DeterministicAgentName, FileEdit, PlannedTask } from "./types.js";
export { DETERMINISTIC_AGENT_NAMES } from "./types.js";

/** Every deterministic agent by name. */
export const deterministicAgents: Record<DeterministicAgentName, DeterministicAgent> = {
  "unused-imports": unusedImportsAgent,
  "unused-variables": unusedVariablesAgent,
  "dead-code": deadCodeAgent,
  "lazy-imports": lazyImportsAgent,
  "split-module": splitModuleAgent,
};
