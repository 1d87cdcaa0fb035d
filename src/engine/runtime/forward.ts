import { type AttentionBatch, type AttentionShape, type KernelSet, RopeStyle, readRow } from "../kernels/index.js";
import type { ModelConfig } from "./config.js";
import type { ModelWeights } from "./weights.js";

/**
 * Where keys and values live: rows of (rows, kvDim) f32 per layer, addressed through block
 * tables of `blockSize`-token blocks. A paged pool has many blocks; one sequence's contiguous
 * cache is the same thing with a single block as long as the sequence (table [0]).
 */
export interface KvStorage {
  readonly keys: readonly Float32Array[];
  readonly values: readonly Float32Array[];
  readonly blockSize: number;
}

/** Which logits a segment wants: none (a prompt chunk that is not the last), its last token's, or every token's. */
export type SegmentLogits = "none" | "last" | "all";

/** One sequence's share of a batch: `count` consecutive tokens from `position` on. */
export interface BatchSegment {
  count: number;
  position: number;
  /** The sequence's block table: logical block i of its positions is block blockTable[i] of the storage. */
  blockTable: Int32Array;
  logits: SegmentLogits;
}

/** Activations for up to `capacity` tokens in one step; every array is (capacity, width). */
export interface StepState {
  readonly capacity: number;
  readonly x: Float32Array; // (capacity, dim) residual stream
  readonly xb: Float32Array; // (capacity, dim) normalized input of a block; later the rows whose logits are wanted
  readonly q: Float32Array; // (capacity, nHeads * headDim)
  readonly k: Float32Array; // (capacity, kvDim)
  readonly v: Float32Array; // (capacity, kvDim)
  readonly attended: Float32Array; // (capacity, nHeads * headDim)
  readonly projected: Float32Array; // (capacity, dim)
  readonly gate: Float32Array; // (capacity, hiddenDim)
  readonly up: Float32Array; // (capacity, hiddenDim)
  readonly scores: Float32Array; // (contextLength) attention scratch of the js and reference kernels
}

export function createStepState(config: ModelConfig, capacity: number, contextLength: number): StepState {
  const qDim = config.nHeads * config.headDim;
  const kvDim = config.nKvHeads * config.headDim;
  return {
    capacity,
    x: new Float32Array(capacity * config.dim),
    xb: new Float32Array(capacity * config.dim),
    q: new Float32Array(capacity * qDim),
    k: new Float32Array(capacity * kvDim),
    v: new Float32Array(capacity * kvDim),
    attended: new Float32Array(capacity * qDim),
    projected: new Float32Array(capacity * config.dim),
    gate: new Float32Array(capacity * config.hiddenDim),
    up: new Float32Array(capacity * config.hiddenDim),
    scores: new Float32Array(contextLength),
  };
}

/**
 * One step of the model over several sequences at once: the tokens of every segment, back to back
 * in `tokens` (segment s owns the rows after those of segments 0 .. s-1), go through every matrix
 * product together, so the weights are read once per step however many sequences run. Each
 * segment's rope, cache writes and attention use its own positions and block table.
 *
 * Every token's result depends only on its own row and its own sequence's cache (the kernels are
 * batch-invariant), so a sequence gets the same bits alone or batched with any others.
 *
 * Writes the wanted logits to `logits`, one row of vocabSize per "last" segment and `count` rows per
 * "all" segment, in segment order.
 */
export function forwardSegments(
  config: ModelConfig,
  weights: ModelWeights,
  kernels: KernelSet,
  kv: KvStorage,
  tokens: ArrayLike<number>,
  segments: readonly BatchSegment[],
  state: StepState,
  logits: Float32Array,
): void {
  const { dim, nHeads, nKvHeads, headDim, hiddenDim, rmsEps, ropeFreqBase } = config;
  const qDim = nHeads * headDim;
  const kvDim = nKvHeads * headDim;
  const ropeStyle = config.arch === "qwen2" ? RopeStyle.Neox : RopeStyle.Normal;
  let total = 0;
  for (const segment of segments) total += segment.count;
  // Views of exactly `total` rows: the element-wise kernels work over whole arrays.
  const x = state.x.subarray(0, total * dim);
  const xb = state.xb.subarray(0, total * dim);
  const q = state.q.subarray(0, total * qDim);
  const k = state.k.subarray(0, total * kvDim);
  const v = state.v.subarray(0, total * kvDim);
  const attended = state.attended.subarray(0, total * qDim);
  const projected = state.projected.subarray(0, total * dim);
  const gate = state.gate.subarray(0, total * hiddenDim);
  const up = state.up.subarray(0, total * hiddenDim);
  const batch = attentionBatch(segments);
  const shape: AttentionShape = { nHeads, nKvHeads, headDim, blockSize: kv.blockSize, freqBase: ropeFreqBase, style: ropeStyle };

  for (let t = 0; t < total; t++) readRow(x, t * dim, weights.tokenEmbedding.data, weights.tokenEmbedding.type, tokens[t], dim);

  for (let l = 0; l < config.nLayers; l++) {
    const layer = weights.layers[l];

    // Attention block: x += wo · attention(rope(wq · norm(x)), cache)
    kernels.rmsnorm(xb, x, layer.attentionNorm, rmsEps);
    kernels.matmul(q, layer.wq.data, layer.wq.type, xb, total, qDim, dim);
    kernels.matmul(k, layer.wk.data, layer.wk.type, xb, total, kvDim, dim);
    kernels.matmul(v, layer.wv.data, layer.wv.type, xb, total, kvDim, dim);
    if (layer.bq !== null && layer.bk !== null && layer.bv !== null) {
      addBias(q, layer.bq);
      addBias(k, layer.bk);
      addBias(v, layer.bv);
    }
    // llama.cpp keeps K and V in an f16 cache and multiplies Q with K in f16 (its CPU K·Q converts
    // Q to f16): attendBatch makes the same roundings. On a q8_0 model skipping them is not a small
    // error, since requantizing activations to q8 turns f16-sized differences into whole q8 rounding steps.
    kernels.attendBatch(attended, q, k, v, kv.keys[l], kv.values[l], batch, shape, state.scores);
    kernels.matmul(projected, layer.wo.data, layer.wo.type, attended, total, dim, qDim);
    kernels.add(x, projected);

    // Feed-forward block: x += wDown · (silu(wGate · norm(x)) * (wUp · norm(x)))
    kernels.rmsnorm(xb, x, layer.ffnNorm, rmsEps);
    kernels.matmul(gate, layer.wGate.data, layer.wGate.type, xb, total, hiddenDim, dim);
    kernels.matmul(up, layer.wUp.data, layer.wUp.type, xb, total, hiddenDim, dim);
    kernels.swiglu(gate, gate, up);
    kernels.matmul(projected, layer.wDown.data, layer.wDown.type, gate, total, dim, hiddenDim);
    kernels.add(x, projected);
  }

  // The rows whose logits are wanted, gathered into xb, then the final norm and output projection.
  let wanted = 0;
  for (let s = 0, row = 0; s < segments.length; row += segments[s].count, s++) {
    const { count, logits: which } = segments[s];
    if (which === "none") continue;
    const first = which === "all" ? row : row + count - 1;
    const rows = which === "all" ? count : 1;
    xb.set(x.subarray(first * dim, (first + rows) * dim), wanted * dim);
    wanted += rows;
  }
  if (wanted === 0) return;
  const normalized = xb.subarray(0, wanted * dim);
  kernels.rmsnorm(normalized, normalized, weights.outputNorm, rmsEps);
  const output = weights.output;
  if (wanted === 1) kernels.matvec(logits, output.data, output.type, normalized, output.rows, dim);
  else kernels.matmul(logits, output.data, output.type, normalized, wanted, output.rows, dim);
}

/** The segments' positions, counts and block tables in the layout attendBatch reads. */
function attentionBatch(segments: readonly BatchSegment[]): AttentionBatch {
  const described = new Int32Array(4 * segments.length);
  let tableLength = 0;
  for (const segment of segments) tableLength += segment.blockTable.length;
  const tables = new Int32Array(tableLength);
  for (let s = 0, offset = 0; s < segments.length; s++) {
    const { position, count, blockTable } = segments[s];
    described.set([position, count, offset, blockTable.length], 4 * s);
    tables.set(blockTable, offset);
    offset += blockTable.length;
  }
  return { segments: described, tables };
}

/** rows += bias for every (n, bias.length) row. */
function addBias(rows: Float32Array, bias: Float32Array): void {
  const width = bias.length;
  for (let base = 0; base < rows.length; base += width) {
    for (let i = 0; i < width; i++) rows[base + i] += bias[i];
  }
}
