import { PyAgentError } from "../../core/index.js";

/** The prompt does not leave room for one generated token in the model's context. */
export class PromptTooLongError extends PyAgentError {
  override readonly name = "PromptTooLongError";
  override readonly exitCode = 2;
  readonly promptTokens: number;
  readonly contextLength: number;

  constructor(promptTokens: number, contextLength: number) {
    super(`the prompt has ${promptTokens} tokens but the context holds ${contextLength}; shorten the prompt or raise --ctx-size`, {
      promptTokens,
      contextLength,
    });
    this.promptTokens = promptTokens;
    this.contextLength = contextLength;
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
