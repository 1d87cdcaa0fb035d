export { createLogger, type Logger, type LoggerOptions } from "./log.js";
export { redact, redactText, MASK } from "./redact.js";
