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

/**
 * Blocks for a paged KV pool of `blockSize`-token blocks: `requested` when given (checked against
 * `available`), else room for `maxSeqs` full contexts, capped at half of what is available after
 * the reserve. Throws ModelTooLargeError when the requested pool, or a single block, does not fit.
 */
export function planKvBlocks(
  config: Pick<ModelConfig, "contextLength" | "nLayers" | "nKvHeads" | "headDim">,
  options: { blockSize: number; maxSeqs: number; requested?: number; available: number },
): number {
  const blockBytes = kvBytesPerToken(config) * options.blockSize;
  const usable = Math.max(0, options.available - RESERVE_BYTES);
  if (options.requested !== undefined) {
    if (options.requested * blockBytes > usable) {
      throw new ModelTooLargeError(
        `a KV pool of ${options.requested} blocks of ${options.blockSize} tokens needs ${formatBytes(options.requested * blockBytes)}, ` +
          `but only ${formatBytes(options.available)} is available; ask for at most ${Math.floor(usable / blockBytes)} blocks`,
        { blocks: options.requested, blockBytes, availableMemory: options.available },
      );
    }
    return options.requested;
  }
  const wanted = options.maxSeqs * Math.ceil(config.contextLength / options.blockSize);
  const affordable = Math.floor(usable / 2 / blockBytes);
  if (affordable < 1) {
    throw new ModelTooLargeError(`not even one KV block of ${formatBytes(blockBytes)} fits in the ${formatBytes(options.available)} available`, {
      blockBytes,
      availableMemory: options.available,
    });
  }
  return Math.min(wanted, affordable);
}
