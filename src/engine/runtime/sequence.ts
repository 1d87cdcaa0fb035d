import type { KernelSet } from "../kernels/index.js";
import type { ModelConfig } from "./config.js";
import { SequenceError } from "./errors.js";
import { type BatchState, createBatchState, createKvCache, forwardBatch, type KvCache } from "./forward.js";
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

export function createSequence(config: ModelConfig, weights: ModelWeights, kernels: KernelSet, maxTokens: number): Sequence {
  let cache: KvCache | null = createKvCache(config, maxTokens);
  let length = 0;
  const lastLogits = new Float32Array(config.vocabSize);
  // Scratch per batch size: decode always uses n = 1; the full chunk size is kept too.
  const states = new Map<number, BatchState>();
  const stateFor = (n: number): BatchState => {
    let state = states.get(n);
    if (state === undefined) {
      state = createBatchState(config, n, maxTokens);
      if (n === 1 || n === MAX_BATCH) states.set(n, state);
    }
    return state;
  };

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
      for (let offset = 0; offset < count; offset += MAX_BATCH) {
        const n = Math.min(MAX_BATCH, count - offset);
        const out = allLogits ? result.subarray(offset * config.vocabSize, (offset + n) * config.vocabSize) : lastLogits;
        forwardBatch(config, weights, kernels, cache, tokens, offset, length, stateFor(n), out, allLogits);
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
      states.clear();
      length = 0;
    },
  };
}
