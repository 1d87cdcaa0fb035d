import type { DeterministicAgent, DeterministicAgentName } from "./types.js";
import { unusedImportsAgent } from "./unused-imports.js";

export type { DeterministicAgent, DeterministicAgentName, FileEdit, PlannedTask } from "./types.js";
export { DETERMINISTIC_AGENT_NAMES } from "./types.js";

/** The agents this build has; every name of DeterministicAgentName lands here as its codemod does. */
export const deterministicAgents: Partial<Record<DeterministicAgentName, DeterministicAgent>> = {
  "unused-imports": unusedImportsAgent,
};
