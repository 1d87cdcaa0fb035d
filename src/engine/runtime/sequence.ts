import type { KernelSet } from "../kernels/index.js";
import { KvBlockPool } from "../kv/index.js";
import type { ModelConfig } from "./config.js";
import { SequenceError } from "./errors.js";
import { type BatchSegment, createStepState, forwardSegments, type KvStorage } from "./forward.js";
import type { ModelWeights } from "./weights.js";

export interface Sequence {
  /** Tokens already in its KV cache. */
  readonly length: number;
  /** Room in its KV cache, in tokens. */
  readonly maxTokens: number;
  /**
   * Runs tokens through the model, appending to the KV cache. Returns the logits (vocabSize) of
   * the LAST token, in a buffer the sequence reuses (valid until its next forward), or a fresh
   * (n, vocabSize) array of every token's logits when `allLogits`.
   */
  forward(tokens: ArrayLike<number>, options?: { allLogits?: boolean }): Float32Array;
  /** Drops KV entries past `length` (for retries and stop handling). */
  truncate(length: number): void;
  free(): void;
}

/** Prompt tokens go through the model in chunks of at most this many (bounds the scratch memory). */
export const MAX_BATCH = 64;

/** One sequence with its own contiguous cache: the single-stream path (CLI tools, conformance, benchmarks). */
export function createSequence(config: ModelConfig, weights: ModelWeights, kernels: KernelSet, maxTokens: number): Sequence {
  // A contiguous cache: a pool of one block as long as the sequence (block table [0]).
  let cache: KvStorage | null = new KvBlockPool({ nLayers: config.nLayers, kvDim: config.nKvHeads * config.headDim, blocks: 1, blockSize: maxTokens });
  let length = 0;
  const lastLogits = new Float32Array(config.vocabSize);
  const state = createStepState(config, Math.min(MAX_BATCH, maxTokens), maxTokens);
  const blockTable = Int32Array.of(0);
  const segment: BatchSegment = { count: 0, position: 0, blockTable, logits: "last" };
  const segments = [segment];

  return {
    get length() {
      return length;
    },
    maxTokens,
    forward(tokens, options = {}) {
      if (cache === null) throw new SequenceError("forward on a freed sequence");
      const count = tokens.length;
      if (count === 0) throw new SequenceError("forward needs at least one token");
      if (length + count > maxTokens) {
        throw new SequenceError(`sequence holds ${length} tokens; ${count} more exceed its KV cache of ${maxTokens}`, {
          length,
          count,
          maxTokens,
        });
      }
      for (let i = 0; i < count; i++) {
        const token = tokens[i];
        if (!Number.isInteger(token) || token < 0 || token >= config.vocabSize) {
          throw new SequenceError(`token id ${token} is outside the vocabulary (0 .. ${config.vocabSize - 1})`, { token });
        }
      }
      const allLogits = options.allLogits === true;
      const result = allLogits ? new Float32Array(count * config.vocabSize) : lastLogits;
      // Decode (one chunk) passes the caller's tokens as they are: nothing is allocated per token.
      const input = count <= MAX_BATCH ? tokens : Int32Array.from(tokens);
      for (let offset = 0; offset < count; offset += MAX_BATCH) {
        const n = Math.min(MAX_BATCH, count - offset);
        segment.count = n;
        segment.position = length;
        segment.logits = allLogits ? "all" : offset + n === count ? "last" : "none";
        const out = allLogits ? result.subarray(offset * config.vocabSize, (offset + n) * config.vocabSize) : lastLogits;
        const chunk = offset === 0 && n === count ? input : (input as Int32Array).subarray(offset, offset + n);
        forwardSegments(config, weights, kernels, cache, chunk, segments, state, out);
        length += n;
      }
      return result;
    },
    truncate(newLength) {
      if (!Number.isInteger(newLength) || newLength < 0 || newLength > length) {
        throw new SequenceError(`cannot truncate a sequence of ${length} tokens to ${newLength}`, { length, newLength });
      }
      // Rows past `length` are never read (attention reads rows 0 .. position + t), so no clearing.
      length = newLength;
    },
    free() {
      cache = null;
      length = 0;
    },
  };
}
