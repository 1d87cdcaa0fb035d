import { kvBytesPerToken, type ModelConfig } from "./config.js";
import { ModelTooLargeError } from "./errors.js";
import { formatBytes } from "./hardware.js";

/** Memory kept free for activations, logits and the rest of the process. */
export const RESERVE_BYTES = 64 * 1024 * 1024;
/** A context smaller than this is not worth loading the model for. */
const MIN_CONTEXT = 32;

/** Throws ModelTooLargeError unless weights of `weightBytes` (the reader loads the whole file) fit in `available`. */
export function checkWeightsFit(path: string, weightBytes: number, available: number): void {
  if (weightBytes + RESERVE_BYTES > available) {
    throw new ModelTooLargeError(
      `${path} needs ${formatBytes(weightBytes)} for its weights plus ${formatBytes(RESERVE_BYTES)} of working memory, ` +
        `but only ${formatBytes(available)} is available; use a smaller or more quantized model (q8_0, q4_0)`,
      { path, weightBytes, availableMemory: available },
    );
  }
}

/**
 * The context length to load with: the requested (else trained) context, capped by the trained
 * context and by what one sequence's KV cache can take of `available` bytes (the weights already
 * loaded). Throws ModelTooLargeError, naming the numbers, when an explicitly requested context
 * does not fit or not even a minimal one does.
 */
export function planContextLength(path: string, config: ModelConfig, requested: number | undefined, weightBytes: number, available: number): number {
  const perToken = kvBytesPerToken(config);
  const byMemory = Math.floor(Math.max(0, available - RESERVE_BYTES) / perToken);
  const wanted = Math.max(1, Math.min(requested ?? config.contextLength, config.contextLength));
  const context = Math.min(wanted, byMemory);
  if (context < Math.min(wanted, MIN_CONTEXT) || (requested !== undefined && context < wanted)) {
    throw new ModelTooLargeError(
      `${path}: weights take ${formatBytes(weightBytes)} and a context of ${wanted} tokens needs ${formatBytes(wanted * perToken)} of KV cache ` +
        `(${formatBytes(perToken)} per token), but only ${formatBytes(available)} is available (room for ${byMemory} tokens); ` +
        "lower the context size or use a smaller model",
      { path, weightBytes, kvBytesPerToken: perToken, availableMemory: available, requestedContext: wanted },
    );
  }
  return context;
}

/** Throws ModelTooLargeError unless a KV cache of maxTokens fits in `available`. */
export function checkSequenceFits(config: ModelConfig, maxTokens: number, available: number): void {
  const kvBytes = maxTokens * kvBytesPerToken(config);
  if (kvBytes + RESERVE_BYTES > available) {
    throw new ModelTooLargeError(
      `a sequence of ${maxTokens} tokens needs ${formatBytes(kvBytes)} of KV cache, but only ${formatBytes(available)} is available; ` +
        "ask for fewer tokens or free memory",
      { maxTokens, kvBytes, availableMemory: available },
    );
  }
}
