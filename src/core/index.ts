export { PyAgentError, UsageError, ConfigError, StateVersionError, isPyAgentError } from "./errors.js";
export { contentHash } from "./hashing.js";
export { newId } from "./ids.js";
export { configFields, loadConfig, type PyAgentConfig, type ConfigOverrides } from "./config.js";
