/**
 * Base error of every part of PyAgent. Each failure a user can act on has its own subclass with a
 * stable `name`, a message that says what to do, an exit code for the CLI, and the failing call's
 * context (never secrets).
 */
export class PyAgentError extends Error {
  override readonly name: string = "PyAgentError";
  /** Process exit code the CLI uses when this error ends a command. */
  readonly exitCode: number = 1;
  readonly context: Record<string, unknown>;

  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.context = context;
  }
}

/** The command line was wrong: bad path, unknown option value. Exit code 2. */
export class UsageError extends PyAgentError {
  override readonly name = "UsageError";
  override readonly exitCode = 2;
}

/** `[tool.pyagent]` or a flag has an invalid value; the message names the key. Exit code 2. */
export class ConfigError extends PyAgentError {
  override readonly name = "ConfigError";
  override readonly exitCode = 2;
}

/** Durable state written by a version of PyAgent this one cannot read. Exit code 3. */
export class StateVersionError extends PyAgentError {
  override readonly name = "StateVersionError";
  override readonly exitCode = 3;
}

export function isPyAgentError(error: unknown): error is PyAgentError {
  return error instanceof PyAgentError;
}
