export { createLogger, type Logger, type LoggerOptions } from "./log.js";
export {
  MASK,
  MIN_SECRET_LENGTH,
  SecretRegistry,
  processSecrets,
  redact,
  redactKnownSecrets,
  redactText,
  registerEnvironmentSecrets,
  registerSecret,
  streamRedactor,
} from "./redact.js";
