import type { GgmlType } from "../gguf/index.js";

/** Which pairs of a head's vector RoPE rotates; the numbers are llama.cpp's rope modes. */
export enum RopeStyle {
  /** Adjacent pairs (x[2i], x[2i+1]); arch llama (GGUF's converter permuted q/k for this). */
  Normal = 0,
  /** Halves (x[i], x[i + headDim/2]); arch qwen2. */
  Neox = 2,
}

/**
 * One step's sequences for `attendBatch`: segment s owns `count` rows of q/k/v/out, after the
 * rows of segments 0 .. s-1.
 */
export interface AttentionBatch {
  /** 4 ints per segment: position (of its first row), count, offset of its block table in `tables`, that table's length. */
  readonly segments: Int32Array;
  /** Every segment's block table, back to back. */
  readonly tables: Int32Array;
}

/** The attention geometry of a model and its cache. */
export interface AttentionShape {
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  /** Rows per cache block (the block tables' unit). */
  readonly blockSize: number;
  readonly freqBase: number;
  readonly style: RopeStyle;
}

/**
 * The compute kernels a forward pass needs, as small functions over typed arrays that write into
 * caller-owned outputs and allocate nothing. Every implementation (native, js, reference) passes
 * the same conformance suite (kernels.test.ts).
 *
 * Layouts: matrices are row-major, a row is `cols` contiguous values in the weights' GGML type.
 * Activations of n tokens are (n, width) rows of Float32Array, token t at offset t * width.
 */
export interface KernelSet {
  readonly name: "native" | "js" | "reference";
  /** Threads the set spreads work over (1 for js and reference). */
  readonly threads: number;
  /** out[r] = sum_c W[r, c] * x[c] for W stored row-major in GGML type `type`, rows x cols. */
  matvec(out: Float32Array, weights: Uint8Array, type: GgmlType, x: Float32Array, rows: number, cols: number): void;
  /**
   * out (n, rows) = X (n, cols) * W^T: batched prompt processing and batched decode. Row t of out
   * is bit-equal to matvec of X's row t alone, for every n and t (batch invariance: a sequence
   * decoded in a batch gets the tokens it gets alone).
   */
  matmul(out: Float32Array, weights: Uint8Array, type: GgmlType, x: Float32Array, n: number, rows: number, cols: number): void;
  /**
   * RMSNorm of every row: x holds (n, width) with width = weight.length;
   * out[t, i] = x[t, i] / sqrt(mean_i(x[t, :]^2) + eps) * weight[i]. out may be x.
   */
  rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, eps: number): void;
  /**
   * Rotary position embedding in place. vec holds (n, heads, headDim): token t is at position
   * `position + t`. Pair i of a head turns by angle pos * freqBase^(-2i / headDim); which values
   * form pair i is `style`.
   */
  rope(vec: Float32Array, n: number, heads: number, headDim: number, position: number, freqBase: number, style: RopeStyle): void;
  /** In-place softmax of x[0 .. length). */
  softmax(x: Float32Array, length: number): void;
  /**
   * Index of the largest value (greedy sampling): the lowest index among equal values (-0 equals
   * +0), a NaN never picked over a number, 0 when values[0] is NaN or values is empty; the same
   * answer as a scan that keeps the first strictly greater value.
   */
  argmax(values: Float32Array): number;
  /** out[i] += x[i] for i < out.length (the residual connection; x at least as long). */
  add(out: Float32Array, x: Float32Array): void;
  /** out[i] = silu(gate[i]) * up[i] for i < out.length, silu(g) = g / (1 + e^-g). out may be gate. */
  swiglu(out: Float32Array, gate: Float32Array, up: Float32Array): void;
  /**
   * Causal grouped-query attention for n consecutive query tokens over a paged KV cache
   * (layout drawn in block-table.ts).
   *   q:          (n, nHeads, headDim), token t at position `position + t`
   *   keys:       (physicalRows, nKvHeads * headDim) this layer's pool of cache rows
   *   values:     same layout as keys
   *   blockTable: logical position p is physical row blockTable[floor(p / blockSize)] * blockSize + p % blockSize;
   *               the entries for positions 0 .. position + n - 1 must address rows inside keys and
   *               values (a KernelError / RangeError otherwise, never an out-of-bounds read).
   *               A contiguous cache passes Int32Array.of(0) and blockSize = its row count.
   *   out:        (n, nHeads, headDim)
   *   scores:     scratch of at least position + n floats (the native set uses its own)
   * Token t attends to logical positions 0 .. position + t with weights softmax(q.k / sqrt(headDim)),
   * each weight rounded to f16 before it multiplies V (llama.cpp's KQ·V over its f16 KV cache).
   * Query head h reads kv head floor(h / (nHeads / nKvHeads)), as llama.cpp groups them.
   * Positions are visited in logical order whatever the table, so the result is bit-equal to the
   * contiguous cache's, and token t's result does not depend on n (batch invariance).
   */
  attention(
    out: Float32Array,
    q: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    blockTable: Int32Array,
    blockSize: number,
    position: number,
    n: number,
    nHeads: number,
    nKvHeads: number,
    headDim: number,
    scores: Float32Array,
  ): void;
  /**
   * The attention half of a layer for a whole step, after the q/k/v products: for every segment,
   * rope on its q and k rows at its positions; then every q/k/v value rounded to f16 (llama.cpp
   * keeps K and V in an f16 cache and converts Q to f16 for K·Q); then its k and v rows written to
   * the cache rows of its block table (`keys`/`values`: this layer's pools); then `attention` of its
   * queries over its cache into its rows of `out`. A token gets the bits it gets from rope and
   * attention called one segment at a time (bad tables: KernelError or RangeError, as attention).
   */
  attendBatch(
    out: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    batch: AttentionBatch,
    shape: AttentionShape,
    scores: Float32Array,
  ): void;
}
