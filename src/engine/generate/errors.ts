import { PyAgentError } from "../../core/index.js";

/**
 * The request does not fit: the prompt leaves no room for a generated token, or prompt plus an
 * explicit max tokens is past the limit. The limit is the model's context, or the KV cache pool
 * when that is smaller (`limitedBy`).
 */
export class PromptTooLongError extends PyAgentError {
  override readonly name = "PromptTooLongError";
  override readonly exitCode = 2;
  readonly promptTokens: number;
  /** The most tokens (prompt + generated) one request may hold. */
  readonly contextLength: number;
  /** The max tokens the request asked for, when that is what does not fit. */
  readonly maxTokens: number | undefined;
  readonly limitedBy: "context" | "kv-cache";

  /** `promptTokens` is a lower bound (the prompt was measured by its bytes, or tokenized only until it overflowed). */
  readonly atLeast: boolean;

  constructor(promptTokens: number, contextLength: number, options: { maxTokens?: number; limitedBy?: "context" | "kv-cache"; atLeast?: boolean } = {}) {
    const limitedBy = options.limitedBy ?? "context";
    const atLeast = options.atLeast ?? false;
    const limit = limitedBy === "context" ? `the context holds ${contextLength}` : `the KV cache pool holds ${contextLength}`;
    const raise = limitedBy === "context" ? "raise --ctx-size" : "raise --kv-blocks";
    const has = `the prompt has ${atLeast ? "at least " : ""}${promptTokens} tokens`;
    const message =
      options.maxTokens === undefined
        ? `${has} but ${limit}; shorten the prompt or ${raise}`
        : `${has} and max tokens asks for ${options.maxTokens} more, but ${limit}; ask for at most ${Math.max(0, contextLength - promptTokens)} tokens`;
    super(message, { promptTokens, contextLength, maxTokens: options.maxTokens, limitedBy, atLeast });
    this.promptTokens = promptTokens;
    this.contextLength = contextLength;
    this.maxTokens = options.maxTokens;
    this.limitedBy = limitedBy;
    this.atLeast = atLeast;
  }
}

/** A request's shape is wrong (n < 1, max tokens < 1, empty prompt); the message names the field. */
export class GenerationRequestError extends PyAgentError {
  override readonly name = "GenerationRequestError";
  override readonly exitCode = 2;
}

/** The generation was cancelled through its AbortSignal. */
export class GenerationAbortedError extends PyAgentError {
  override readonly name = "GenerationAbortedError";
  override readonly exitCode = 130;
}
