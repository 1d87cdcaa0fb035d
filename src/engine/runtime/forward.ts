import { type KernelSet, RopeStyle, readRow, roundToF16InPlace } from "../kernels/index.js";
import type { ModelConfig } from "./config.js";
import type { ModelWeights } from "./weights.js";

/**
 * A sequence's KV cache, contiguous: keys and values are each (layer, position, kvDim) f32 holding
 * f16-representable values (forwardBatch rounds them, as llama.cpp's f16 cache stores them), and
 * `keys[l]` / `values[l]` are the (position, kvDim) views of layer l. Rows 0 .. length - 1 are filled.
 */
export interface KvCache {
  maxTokens: number;
  keys: Float32Array[];
  values: Float32Array[];
}

/**
 * The block table of a contiguous cache for the paged attention kernel: one block of maxTokens
 * rows at physical row 0 (kernels/block-table.ts). Shared and read-only, so a call allocates nothing.
 */
const CONTIGUOUS_BLOCK_TABLE = Int32Array.of(0);

export function createKvCache(config: ModelConfig, maxTokens: number): KvCache {
  const kvDim = config.nKvHeads * config.headDim;
  const layerSize = maxTokens * kvDim;
  const keyStore = new Float32Array(config.nLayers * layerSize);
  const valueStore = new Float32Array(config.nLayers * layerSize);
  const keys: Float32Array[] = [];
  const values: Float32Array[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    keys.push(keyStore.subarray(l * layerSize, (l + 1) * layerSize));
    values.push(valueStore.subarray(l * layerSize, (l + 1) * layerSize));
  }
  return { maxTokens, keys, values };
}

/** Scratch activations for a batch of n tokens; every array is exactly (n, width) long. */
export interface BatchState {
  n: number;
  x: Float32Array; // (n, dim) residual stream
  xb: Float32Array; // (n, dim) normalized input of a block
  q: Float32Array; // (n, nHeads * headDim)
  k: Float32Array; // (n, kvDim)
  v: Float32Array; // (n, kvDim)
  attended: Float32Array; // (n, nHeads * headDim) attention output
  projected: Float32Array; // (n, dim) output of wo / wDown before the residual add
  gate: Float32Array; // (n, hiddenDim)
  up: Float32Array; // (n, hiddenDim)
  last: Float32Array; // (dim) the last token's normalized state, for its logits
  scores: Float32Array; // (maxTokens) attention scratch of the js/reference kernels
}

export function createBatchState(config: ModelConfig, n: number, maxTokens: number): BatchState {
  const qDim = config.nHeads * config.headDim;
  const kvDim = config.nKvHeads * config.headDim;
  return {
    n,
    x: new Float32Array(n * config.dim),
    xb: new Float32Array(n * config.dim),
    q: new Float32Array(n * qDim),
    k: new Float32Array(n * kvDim),
    v: new Float32Array(n * kvDim),
    attended: new Float32Array(n * qDim),
    projected: new Float32Array(n * config.dim),
    gate: new Float32Array(n * config.hiddenDim),
    up: new Float32Array(n * config.hiddenDim),
    last: new Float32Array(config.dim),
    scores: new Float32Array(maxTokens),
  };
}

/**
 * Runs state.n tokens at positions position .. position + n - 1 through the model, writing
 * their keys/values into the cache. Writes the logits of every token into `logits` (n, vocab)
 * when `allLogits`, else the last token's into `logits` (vocab).
 */
export function forwardBatch(
  config: ModelConfig,
  weights: ModelWeights,
  kernels: KernelSet,
  cache: KvCache,
  tokens: ArrayLike<number>,
  tokenOffset: number,
  position: number,
  state: BatchState,
  logits: Float32Array,
  allLogits: boolean,
): void {
  const { dim, nHeads, nKvHeads, headDim, hiddenDim, rmsEps, ropeFreqBase } = config;
  const n = state.n;
  const qDim = nHeads * headDim;
  const kvDim = nKvHeads * headDim;
  const ropeStyle = config.arch === "qwen2" ? RopeStyle.Neox : RopeStyle.Normal;
  const { x, xb, q, k, v, attended, projected, gate, up } = state;

  // Embedding lookup: row `token` of token_embd, dequantized.
  for (let t = 0; t < n; t++) readRow(x, t * dim, weights.tokenEmbedding.data, weights.tokenEmbedding.type, tokens[tokenOffset + t], dim);

  for (let l = 0; l < config.nLayers; l++) {
    const layer = weights.layers[l];

    // Attention block: x += wo · attention(rope(wq · norm(x)), cache)
    kernels.rmsnorm(xb, x, layer.attentionNorm, rmsEps);
    kernels.matmul(q, layer.wq.data, layer.wq.type, xb, n, qDim, dim);
    kernels.matmul(k, layer.wk.data, layer.wk.type, xb, n, kvDim, dim);
    kernels.matmul(v, layer.wv.data, layer.wv.type, xb, n, kvDim, dim);
    if (layer.bq !== null && layer.bk !== null && layer.bv !== null) {
      addBias(q, layer.bq);
      addBias(k, layer.bk);
      addBias(v, layer.bv);
    }
    kernels.rope(q, n, nHeads, headDim, position, ropeFreqBase, ropeStyle);
    kernels.rope(k, n, nKvHeads, headDim, position, ropeFreqBase, ropeStyle);
    // llama.cpp keeps K and V in an f16 cache and multiplies Q with K in f16 (its CPU K·Q converts
    // Q to f16): the same roundings here. On a q8_0 model skipping them is not a small error, since
    // requantizing activations to q8 turns f16-sized differences into whole q8 rounding steps.
    roundToF16InPlace(q);
    roundToF16InPlace(k);
    roundToF16InPlace(v);
    cache.keys[l].set(k, position * kvDim);
    cache.values[l].set(v, position * kvDim);
    kernels.attention(attended, q, cache.keys[l], cache.values[l], CONTIGUOUS_BLOCK_TABLE, cache.maxTokens, position, n, nHeads, nKvHeads, headDim, state.scores);
    kernels.matmul(projected, layer.wo.data, layer.wo.type, attended, n, dim, qDim);
    for (let i = 0; i < x.length; i++) x[i] += projected[i];

    // Feed-forward block: x += wDown · (silu(wGate · norm(x)) * (wUp · norm(x)))
    kernels.rmsnorm(xb, x, layer.ffnNorm, rmsEps);
    kernels.matmul(gate, layer.wGate.data, layer.wGate.type, xb, n, hiddenDim, dim);
    kernels.matmul(up, layer.wUp.data, layer.wUp.type, xb, n, hiddenDim, dim);
    kernels.swiglu(gate, gate, up);
    kernels.matmul(projected, layer.wDown.data, layer.wDown.type, gate, n, dim, hiddenDim);
    for (let i = 0; i < x.length; i++) x[i] += projected[i];
  }

  // Final norm and the output projection (token_embd when tied).
  const output = weights.output;
  if (allLogits) {
    kernels.rmsnorm(xb, x, weights.outputNorm, rmsEps);
    kernels.matmul(logits, output.data, output.type, xb, n, output.rows, dim);
  } else {
    state.last.set(n === 1 ? x : x.subarray((n - 1) * dim));
    kernels.rmsnorm(state.last, state.last, weights.outputNorm, rmsEps);
    kernels.matvec(logits, output.data, output.type, state.last, output.rows, dim);
  }
}

/** rows += bias for every (n, bias.length) row. */
function addBias(rows: Float32Array, bias: Float32Array): void {
  const width = bias.length;
  for (let base = 0; base < rows.length; base += width) {
    for (let i = 0; i < width; i++) rows[base + i] += bias[i];
  }
}
