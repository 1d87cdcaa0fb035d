import { detectHardware, type ModelConfig, planKvBlocks } from "../runtime/index.js";
import { GenerationRequestError } from "./errors.js";

/** How a GenerationQueue batches requests and sizes its KV cache. */
export interface BatchingOptions {
  /** Most requests computing at once; default 16. */
  maxSeqs?: number;
  /** Most tokens one model step computes over every request (prompt chunks and decodes); default 512. */
  maxBatchedTokens?: number;
  /** Tokens per KV block; default 16. */
  blockSize?: number;
  /** Blocks in the KV pool; default: maxSeqs full contexts, capped at half the free memory (checked against it when given). */
  kvBlocks?: number;
  /** Reuse KV blocks of earlier requests with the same prefix; default true. */
  prefixCaching?: boolean;
}

export type ResolvedBatching = Required<BatchingOptions>;

export const DEFAULT_MAX_SEQS = 16;
export const DEFAULT_MAX_BATCHED_TOKENS = 512;
export const DEFAULT_BLOCK_SIZE = 16;

/**
 * Fills in defaults and checks every option; throws GenerationRequestError naming the bad one, and
 * ModelTooLargeError (with the numbers) when the KV pool does not fit in free memory.
 */
export function resolveBatching(options: BatchingOptions, config: Pick<ModelConfig, "contextLength" | "nLayers" | "nKvHeads" | "headDim">): ResolvedBatching {
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    const resolved = value ?? fallback;
    if (!Number.isInteger(resolved) || resolved < 1) throw new GenerationRequestError(`${name} must be a positive integer, got ${value}`, { [name]: value });
    return resolved;
  };
  const maxSeqs = positive("maxSeqs", options.maxSeqs, DEFAULT_MAX_SEQS);
  const maxBatchedTokens = positive("maxBatchedTokens", options.maxBatchedTokens, DEFAULT_MAX_BATCHED_TOKENS);
  const blockSize = positive("blockSize", options.blockSize, DEFAULT_BLOCK_SIZE);
  const requested = options.kvBlocks === undefined ? undefined : positive("kvBlocks", options.kvBlocks, 0);
  const kvBlocks = planKvBlocks(config, { blockSize, maxSeqs, requested, available: detectHardware().availableMemory });
  return { maxSeqs, maxBatchedTokens, blockSize, kvBlocks, prefixCaching: options.prefixCaching ?? true };
}
