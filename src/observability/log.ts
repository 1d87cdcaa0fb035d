import pino, { type DestinationStream, type Logger } from "pino";
import { redact, redactText } from "./redact.js";

export type { Logger } from "pino";

export interface LoggerOptions {
  /** pino level; `silent` costs nothing. Default from PYAGENT_LOG_LEVEL, else `warn`. */
  level?: string;
  /** Where JSON lines go; default stderr so stdout stays clean for command output. */
  destination?: DestinationStream;
  name?: string;
}

/**
 * Structured JSON logger. Every record passes through `redact`, so secrets are masked wherever
 * they appear: in the message, in nested fields, in error messages and stacks.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.PYAGENT_LOG_LEVEL ?? "warn";
  return pino(
    {
      name: options.name ?? "pyagent",
      level,
      formatters: {
        log: (record) => redact(record),
      },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((arg) => (typeof arg === "string" ? redactText(arg) : arg)) as Parameters<typeof method>;
          method.apply(this, masked);
        },
      },
      serializers: { err: (error: Error) => redact(error) },
    },
    options.destination ?? pino.destination(2),
  );
}
