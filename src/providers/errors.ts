import { PyAgentError } from "../core/index.js";

/** Base of every provider-layer failure. Messages and context never hold API keys. */
export class ProviderError extends PyAgentError {
  override readonly name: string = "ProviderError";
}

/** `--model NAME` names no configured model. Exit code 2. */
export class UnknownModelError extends ProviderError {
  override readonly name = "UnknownModelError";
  override readonly exitCode = 2;
}

/** `--model URL` (or a configured base URL) did not answer `GET /models`. Exit code 2. */
export class EndpointUnreachableError extends ProviderError {
  override readonly name = "EndpointUnreachableError";
  override readonly exitCode = 2;
}

/**
 * One provider call failed. `kind` says how: an HTTP error status, no connection, a timeout, or a
 * reply we could not read; `retryable` says whether the same model may succeed on another attempt.
 */
export class ProviderCallError extends ProviderError {
  override readonly name = "ProviderCallError";
  readonly kind: "http" | "connection" | "timeout" | "invalid-response";
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** Milliseconds the server asked us to wait (retry-after), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: { model: string; kind: ProviderCallError["kind"]; status?: number; retryable: boolean; retryAfterMs?: number }, options?: ErrorOptions) {
    super(message, { model: details.model, kind: details.kind, status: details.status }, options);
    this.kind = details.kind;
    this.status = details.status;
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** The response body exceeded the byte cap (a runaway or hostile server). Not retried. */
export class ResponseTooLargeError extends ProviderError {
  override readonly name = "ResponseTooLargeError";
}

/** Structured output was still invalid JSON (or did not match the schema) after the repair attempts. */
export class StructuredOutputError extends ProviderError {
  override readonly name = "StructuredOutputError";
  /** Tokens the failed rounds used: they were paid for, so the budget is charged for them. */
  readonly usage: { inputTokens: number; outputTokens: number };

  constructor(message: string, context: Record<string, unknown>, usage: { inputTokens: number; outputTokens: number }) {
    super(message, context);
    this.usage = usage;
  }
}

/**
 * Every model able to serve the tier failed or is known to be down. `unreachable`: every one of
 * them failed for a reason that will not pass by retrying (no connection, no answer, the key
 * refused or missing), as opposed to a server that answered but not usefully.
 */
export class NoModelAvailableError extends ProviderError {
  override readonly name = "NoModelAvailableError";
  readonly unreachable: boolean;

  constructor(message: string, context: Record<string, unknown>, unreachable = false) {
    super(message, context);
    this.unreachable = unreachable;
  }
}

/**
 * No model the run may use can be reached (connection refused, unknown host, no answer, the API
 * key refused or missing): checked before the run starts, so nothing is planned or changed.
 * Exit code 6.
 */
export class ModelUnreachableError extends ProviderError {
  override readonly name = "ModelUnreachableError";
  override readonly exitCode = 6;
}

/** The budget cannot cover the worst case of the next call; the caller stops scheduling LLM work. */
export class BudgetExhaustedError extends ProviderError {
  override readonly name = "BudgetExhaustedError";
}
