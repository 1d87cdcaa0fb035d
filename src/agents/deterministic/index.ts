import type { DeterministicAgent, DeterministicAgentName } from "./types.js";
import { deadCodeAgent } from "./dead-code.js";
import { lazyImportsAgent } from "./lazy-imports.js";
import { unusedImportsAgent } from "./unused-imports.js";
import { unusedVariablesAgent } from "./unused-variables.js";

export type { DeterministicAgent, DeterministicAgentName, FileEdit, PlannedTask } from "./types.js";
export { DETERMINISTIC_AGENT_NAMES } from "./types.js";

/** The agents this build has; every name of DeterministicAgentName lands here as its codemod does. */
export const deterministicAgents: Partial<Record<DeterministicAgentName, DeterministicAgent>> = {
  "unused-imports": unusedImportsAgent,
  "unused-variables": unusedVariablesAgent,
  "dead-code": deadCodeAgent,
  "lazy-imports": lazyImportsAgent,
};
