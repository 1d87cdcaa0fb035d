export type { DeterministicAgent, DeterministicAgentName, FileEdit, PlannedTask } from "./types.js";
export { DETERMINISTIC_AGENT_NAMES } from "./types.js";
