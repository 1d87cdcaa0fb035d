import { jsArgmax } from "../kernels/index.js";
import { type ResolvedSamplingOptions, type SamplingOptions, resolveSamplingOptions } from "./options.js";
import { Prng, randomSeed } from "./prng.js";
import { selectLargest, sortDescending } from "./select.js";

/** Logit buckets of the top-p search; only the one bucket where the mass crosses p gets sorted. */
const TOP_P_BUCKETS = 1024;

/**
 * Chooses tokens for one generated sequence. It owns the sequence's penalty state (which tokens
 * were seen and generated) and its random stream, and reuses its scratch buffers: `sample` does no
 * allocation, whatever the options.
 *
 * Invariant: after a `sample` call, the processed logits (bias and penalties applied) are either
 * in `processed` or, after a greedy pick, still to be made from `pendingLogits` (the caller's
 * array, which `logprobOf` and `topLogprobs` must therefore read before it changes).
 */
export class Sampler {
  readonly vocabSize: number;
  readonly options: ResolvedSamplingOptions;
  /** The seed actually used (the given one, or a random one). */
  readonly seed: number;
  private readonly prng: Prng;
  /** (vocabSize) processed logits of the last `sample` call. */
  private readonly processed: Float32Array;
  /**
   * (vocabSize) candidate token ids; the first `candidateCount` are live during `sample`. Empty
   * until the first random draw: a greedy sampler never needs it (a server holds one per request).
   */
  private candidates = new Int32Array(0);
  /** (vocabSize) exp((logit - max) / T) of the live candidates, indexed by token id; allocated with `candidates`. */
  private weights = new Float64Array(0);
  private readonly bucketMass = new Float64Array(TOP_P_BUCKETS);
  private readonly bucketSize = new Int32Array(TOP_P_BUCKETS);
  /** (vocabSize) times each token was generated. */
  private readonly generatedCounts: Uint32Array;
  /** Distinct generated token ids, in first-seen order; the first `generatedDistinct` are live. */
  private readonly generatedList: Int32Array;
  private generatedDistinct = 0;
  /** (vocabSize) 1 where the token appeared in the prompt or the output (repetition penalty). */
  private readonly seen: Uint8Array;
  private readonly seenList: Int32Array;
  private seenDistinct = 0;
  /** Index of the largest logit (KernelSet.argmax's rule). */
  private readonly argmax: (values: Float32Array) => number;
  /** log Σ exp(processed), computed on first use after each `sample`; NaN when stale. */
  private logNormalizer = Number.NaN;
  /** The logits of the last greedy `sample`, not yet copied into `processed`; null when `processed` is current. */
  private pendingLogits: Float32Array | null = null;
  /** Raw logits a greedy pick overwrote in place, and their tokens, in the order it overwrote them. */
  private overwritten = new Float32Array(0);
  private overwrittenTokens = new Int32Array(0);

  /** `argmax` is the kernel set's when there is one (the native one scans the vocabulary with SIMD on the pool's threads). */
  constructor(vocabSize: number, options: SamplingOptions = {}, argmax: (values: Float32Array) => number = jsArgmax) {
    this.vocabSize = vocabSize;
    this.argmax = argmax;
    this.options = resolveSamplingOptions(options, vocabSize);
    this.seed = this.options.seed ?? randomSeed();
    this.prng = new Prng(this.seed);
    this.processed = new Float32Array(vocabSize);
    this.generatedCounts = new Uint32Array(vocabSize);
    this.generatedList = new Int32Array(vocabSize);
    this.seen = new Uint8Array(vocabSize);
    this.seenList = new Int32Array(vocabSize);
  }

  /** Records the prompt's tokens, which the repetition penalty also counts. */
  acceptPrompt(tokens: ArrayLike<number>): void {
    for (let i = 0; i < tokens.length; i++) this.markSeen(tokens[i]);
  }

  /** Records a generated token (call it for every token `sample` returned that the sequence keeps). */
  accept(token: number): void {
    if (this.generatedCounts[token] === 0) this.generatedList[this.generatedDistinct++] = token;
    this.generatedCounts[token]++;
    this.markSeen(token);
  }

  /**
   * Picks the next token from `logits` (at least vocabSize long; unchanged on return). After a
   * greedy pick the processed logits are made from this same array when first asked for, so call
   * `logprobOf`/`topLogprobs` before it changes.
   */
  sample(logits: Float32Array): number {
    const options = this.options;
    const own = logits.length === this.vocabSize ? logits : logits.subarray(0, this.vocabSize);
    if (options.temperature === 0 || options.topK === 1) return this.greedy(own);
    this.process(own);
    const keys = this.processed;
    if (this.candidates.length === 0) {
      this.candidates = new Int32Array(this.vocabSize);
      this.weights = new Float64Array(this.vocabSize);
    }

    // Min-p in logit space: p_i >= minP * p_max  <=>  (l_i - l_max) / T >= ln(minP).
    const maxLogit = keys[this.argmax(keys)];
    const inverseTemperature = 1 / options.temperature;
    const minLogit = options.minP > 0 ? maxLogit + Math.log(options.minP) * options.temperature : Number.NEGATIVE_INFINITY;
    const ids = this.candidates;
    let count = 0;
    for (let token = 0; token < this.vocabSize; token++) {
      if (keys[token] >= minLogit) ids[count++] = token;
    }

    let sorted = false;
    if (options.topK > 0 && options.topK < count) {
      selectLargest(ids, 0, count, options.topK, keys);
      count = options.topK;
      sortDescending(ids, 0, count, keys);
      sorted = true;
    }
    const weights = this.weights;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const token = ids[i];
      const weight = Math.exp((keys[token] - maxLogit) * inverseTemperature);
      weights[token] = weight;
      total += weight;
    }
    if (options.topP < 1) {
      count = this.cutTopP(count, sorted, maxLogit, total);
      total = 0;
      for (let i = 0; i < count; i++) total += weights[ids[i]];
    }

    const threshold = this.prng.nextFloat() * total;
    let cumulative = 0;
    for (let i = 0; i < count; i++) {
      cumulative += weights[ids[i]];
      if (cumulative > threshold) return ids[i];
    }
    return ids[count - 1];
  }

  /** Log-probability of `token` under the processed distribution of the last `sample` call. */
  logprobOf(token: number): number {
    return this.current()[token] - this.normalizer();
  }

  /**
   * Writes the `n` most likely tokens of the last processed distribution (most likely first) into
   * `ids`/`logprobs`; returns how many were written (min(n, vocabSize)).
   */
  topLogprobs(n: number, ids: Int32Array, logprobs: Float64Array | Float32Array): number {
    const keys = this.current();
    const limit = Math.min(n, this.vocabSize, ids.length, logprobs.length);
    let filled = 0;
    for (let token = 0; token < this.vocabSize; token++) {
      const key = keys[token];
      if (filled === limit && (limit === 0 || key <= keys[ids[limit - 1]])) continue;
      let position = filled < limit ? filled++ : limit - 1;
      while (position > 0 && keys[ids[position - 1]] < key) {
        ids[position] = ids[position - 1];
        position--;
      }
      ids[position] = token;
    }
    const normalizer = this.normalizer();
    for (let i = 0; i < filled; i++) logprobs[i] = keys[ids[i]] - normalizer;
    return filled;
  }

  /** The processed logits of the last `sample` call (a view; valid until the next call). */
  processedLogits(): Float32Array {
    return this.current();
  }

  /** The processed logits of the last `sample` call, made now if a greedy pick left them pending. */
  private current(): Float32Array {
    if (this.pendingLogits !== null) this.process(this.pendingLogits);
    return this.processed;
  }

  /** `logits` (vocabSize) with bias and penalties applied, into `processed`. */
  private process(logits: Float32Array): void {
    this.processed.set(logits);
    this.adjust(this.processed, false);
    this.pendingLogits = null;
    this.logNormalizer = Number.NaN;
  }

  /**
   * Greedy pick without copying the vocabulary: bias and penalties are applied to `logits` in
   * place (the few tokens they touch, in `process`'s order and roundings, so the pick is the
   * argmax of the processed logits), then those tokens get their raw values back, last change
   * undone first (a token touched twice ends with its first, raw value).
   */
  private greedy(logits: Float32Array): number {
    const most = this.options.biasTokens.length + this.seenDistinct + this.generatedDistinct;
    if (this.overwritten.length < most) {
      const size = Math.max(most, 2 * this.overwritten.length);
      this.overwritten = new Float32Array(size);
      this.overwrittenTokens = new Int32Array(size);
    }
    const count = this.adjust(logits, true);
    const token = this.argmax(logits);
    for (let i = count - 1; i >= 0; i--) logits[this.overwrittenTokens[i]] = this.overwritten[i];
    this.pendingLogits = logits;
    this.logNormalizer = Number.NaN;
    return token;
  }

  /**
   * Applies the logit bias, then the repetition penalty, then the presence/frequency penalties to
   * `keys` in place. With `save`, first records each token it changes and the value it overwrites
   * (in `overwrittenTokens`/`overwritten`, in order); returns how many changes it made.
   */
  private adjust(keys: Float32Array, save: boolean): number {
    const options = this.options;
    let n = 0;
    for (let i = 0; i < options.biasTokens.length; i++) {
      const token = options.biasTokens[i];
      if (save) this.remember(n, token, keys[token]);
      n++;
      keys[token] += options.biasValues[i];
    }
    const penalty = options.repetitionPenalty;
    if (penalty !== 1) {
      for (let i = 0; i < this.seenDistinct; i++) {
        const token = this.seenList[i];
        const value = keys[token];
        if (save) this.remember(n, token, value);
        n++;
        keys[token] = value > 0 ? value / penalty : value * penalty;
      }
    }
    if (options.presencePenalty !== 0 || options.frequencyPenalty !== 0) {
      for (let i = 0; i < this.generatedDistinct; i++) {
        const token = this.generatedList[i];
        if (save) this.remember(n, token, keys[token]);
        n++;
        keys[token] -= options.presencePenalty + options.frequencyPenalty * this.generatedCounts[token];
      }
    }
    return n;
  }

  /** Change `n` of a greedy pick: `token` had `value`. */
  private remember(n: number, token: number, value: number): void {
    this.overwrittenTokens[n] = token;
    this.overwritten[n] = value;
  }

  /**
   * Top-p over ids[0, count) with weights already in `weights`: shrinks `count` to the smallest
   * set of most likely tokens whose mass reaches topP of the candidates' total, without sorting
   * the whole vocabulary. Tokens are bucketed by logit (bucket 0 holds the largest); whole buckets
   * are kept from the top until the next one would reach the target, and only that boundary
   * bucket is sorted. On return ids[0, count) is the kept set (in no particular order).
   */
  private cutTopP(count: number, sorted: boolean, maxLogit: number, total: number): number {
    const ids = this.candidates;
    const keys = this.processed;
    const weights = this.weights;
    const target = this.options.topP * total;
    if (sorted) {
      let cumulative = 0;
      for (let i = 0; i < count; i++) {
        cumulative += weights[ids[i]];
        if (cumulative >= target) return i + 1;
      }
      return count;
    }
    let minLogit = maxLogit;
    for (let i = 0; i < count; i++) {
      const key = keys[ids[i]];
      if (key < minLogit && key !== Number.NEGATIVE_INFINITY) minLogit = key; // -inf tokens weigh 0 and fall outside every bucket
    }
    const bucketMass = this.bucketMass;
    const bucketSize = this.bucketSize;
    bucketMass.fill(0);
    bucketSize.fill(0);
    const scale = (TOP_P_BUCKETS - 1) / Math.max(maxLogit - minLogit, 1e-6);
    for (let i = 0; i < count; i++) {
      const token = ids[i];
      const bucket = Math.floor((maxLogit - keys[token]) * scale);
      bucketMass[bucket] += weights[token];
      bucketSize[bucket]++;
    }
    let boundary = 0;
    let cumulative = 0;
    let kept = 0;
    while (boundary < TOP_P_BUCKETS - 1 && cumulative + bucketMass[boundary] < target) {
      cumulative += bucketMass[boundary];
      kept += bucketSize[boundary];
      boundary++;
    }
    // Move the ids of buckets above the boundary to the front, then the boundary bucket's ids.
    let front = 0;
    let boundaryEnd = kept;
    for (let i = 0; i < count; i++) {
      const token = ids[i];
      const bucket = Math.floor((maxLogit - keys[token]) * scale);
      if (bucket < boundary) {
        ids[i] = ids[front];
        ids[front++] = token;
      }
    }
    for (let i = front; i < count; i++) {
      const token = ids[i];
      if (Math.floor((maxLogit - keys[token]) * scale) === boundary) {
        ids[i] = ids[boundaryEnd];
        ids[boundaryEnd++] = token;
      }
    }
    sortDescending(ids, kept, boundaryEnd, keys);
    for (let i = kept; i < boundaryEnd; i++) {
      cumulative += weights[ids[i]];
      if (cumulative >= target) return i + 1;
    }
    return boundaryEnd;
  }

  private normalizer(): number {
    if (Number.isNaN(this.logNormalizer)) {
      const keys = this.current();
      const max = keys[this.argmax(keys)];
      let sum = 0;
      for (let i = 0; i < this.vocabSize; i++) sum += Math.exp(keys[i] - max);
      this.logNormalizer = max + Math.log(sum);
    }
    return this.logNormalizer;
  }

  private markSeen(token: number): void {
    if (this.seen[token] === 0) {
      this.seen[token] = 1;
      this.seenList[this.seenDistinct++] = token;
    }
  }
}
