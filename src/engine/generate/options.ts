import { GenerationRequestError } from "./errors.js";

/** How a GenerationQueue batches requests and sizes its KV cache. */
export interface BatchingOptions {
  /** Most requests computing at once; default 16. */
  maxSeqs?: number;
  /** Most tokens one model step computes over every request (prompt chunks and decodes); default 512. */
  maxBatchedTokens?: number;
  /** Tokens per KV block; default 16. */
  blockSize?: number;
  /** Blocks in the KV pool; default: maxSeqs full contexts, capped at DEFAULT_KV_BYTES. */
  kvBlocks?: number;
  /** Reuse KV blocks of earlier requests with the same prefix; default true. */
  prefixCaching?: boolean;
}

export type ResolvedBatching = Required<BatchingOptions>;

export const DEFAULT_MAX_SEQS = 16;
export const DEFAULT_MAX_BATCHED_TOKENS = 512;
export const DEFAULT_BLOCK_SIZE = 16;
/** The default pool's ceiling when nobody sized it from the memory budget (pyagent serve does). */
export const DEFAULT_KV_BYTES = 512 * 1024 * 1024;

/** Fills in defaults and checks every option; throws GenerationRequestError naming the bad one. */
export function resolveBatching(options: BatchingOptions, model: { contextLength: number; kvBytesPerToken: number }): ResolvedBatching {
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    const resolved = value ?? fallback;
    if (!Number.isInteger(resolved) || resolved < 1) throw new GenerationRequestError(`${name} must be a positive integer, got ${value}`, { [name]: value });
    return resolved;
  };
  const maxSeqs = positive("maxSeqs", options.maxSeqs, DEFAULT_MAX_SEQS);
  const maxBatchedTokens = positive("maxBatchedTokens", options.maxBatchedTokens, DEFAULT_MAX_BATCHED_TOKENS);
  const blockSize = positive("blockSize", options.blockSize, DEFAULT_BLOCK_SIZE);
  const blocksPerContext = Math.ceil(model.contextLength / blockSize);
  const byBytes = Math.floor(DEFAULT_KV_BYTES / (model.kvBytesPerToken * blockSize));
  const fallbackBlocks = Math.max(1, Math.min(maxSeqs * blocksPerContext, Math.max(blocksPerContext, byBytes)));
  const kvBlocks = positive("kvBlocks", options.kvBlocks, fallbackBlocks);
  return { maxSeqs, maxBatchedTokens, blockSize, kvBlocks, prefixCaching: options.prefixCaching ?? true };
}
