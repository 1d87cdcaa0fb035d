import { GgmlType } from "../gguf/index.js";
import { checkMatrix, F16_TO_F32, Q4_0_BLOCK_BYTES, Q8_0_BLOCK_BYTES, QK, quantizeActivationsQ8, rowBytes } from "./formats.js";

/**
 * TypeScript matrix products over GGUF bytes. f32/f16 read through typed views of the weights
 * (cached per weights array, so a call allocates nothing); q8_0/q4_0 first quantize the
 * activations to q8 blocks, as llama.cpp does, then take integer dot products per block with the
 * weights dequantized in registers (never materialized).
 */
export function jsMatmul(out: Float32Array, weights: Uint8Array, type: GgmlType, x: Float32Array, n: number, rows: number, cols: number): void {
  checkMatrix(weights, type, rows, cols);
  switch (type) {
    case GgmlType.F32:
      return matmulF32(out, f32View(weights, rows * cols), widen(x, n * cols), n, rows, cols);
    case GgmlType.F16:
      return matmulF16(out, u16View(weights, rows * cols), widen(x, n * cols), n, rows, cols);
    case GgmlType.Q8_0:
    case GgmlType.Q4_0:
      return matmulQuantized(out, weights, type, x, n, rows, cols);
  }
}

/** x as float64: V8 then multiplies without converting x on every use (about 2x faster here). Grown, never shrunk. */
let wideX = new Float64Array(0);

function widen(x: Float32Array, count: number): Float64Array {
  if (wideX.length < count) wideX = new Float64Array(count);
  for (let i = 0; i < count; i++) wideX[i] = x[i];
  return wideX;
}

const f32Views = new WeakMap<Uint8Array, Float32Array>();
const i8Views = new WeakMap<Uint8Array, Int8Array>();

function i8View(weights: Uint8Array): Int8Array {
  let view = i8Views.get(weights);
  if (view === undefined) {
    view = new Int8Array(weights.buffer, weights.byteOffset, weights.byteLength);
    i8Views.set(weights, view);
  }
  return view;
}
const u16Views = new WeakMap<Uint8Array, Uint16Array>();

/** A Float32Array over the weight bytes: a view when 4-byte aligned, else a one-time copy. */
function f32View(weights: Uint8Array, count: number): Float32Array {
  let view = f32Views.get(weights);
  if (view === undefined) {
    view =
      weights.byteOffset % 4 === 0
        ? new Float32Array(weights.buffer, weights.byteOffset, count)
        : new Float32Array(weights.slice(0, count * 4).buffer);
    f32Views.set(weights, view);
  }
  return view;
}

function u16View(weights: Uint8Array, count: number): Uint16Array {
  let view = u16Views.get(weights);
  if (view === undefined) {
    view =
      weights.byteOffset % 2 === 0
        ? new Uint16Array(weights.buffer, weights.byteOffset, count)
        : new Uint16Array(weights.slice(0, count * 2).buffer);
    u16Views.set(weights, view);
  }
  return view;
}

/**
 * Every token in the batch gets matvecF32's sums (batch invariance: row t has the bits of
 * token t alone), with the weight row reused across the tokens while it is in cache.
 */
function matmulF32(out: Float32Array, w: Float32Array, x: Float64Array, n: number, rows: number, cols: number): void {
  if (n === 1) return matvecF32(out, w, x, rows, cols);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < n; t++) out[t * rows + r] = dotF32(w, r * cols, x, t * cols, cols);
  }
}

/** The decode case on its own: no token loop (measured ~1.4x faster in V8). */
function matvecF32(out: Float32Array, w: Float32Array, x: Float64Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) out[r] = dotF32(w, r * cols, x, 0, cols);
}

/** One weight row against one token with eight independent sums; the one f32 dot of the js set. */
function dotF32(w: Float32Array, wBase: number, x: Float64Array, xBase: number, cols: number): number {
  const tail = cols - (cols % 8);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let s6 = 0;
  let s7 = 0;
  for (let c = 0; c < tail; c += 8) {
    const p = wBase + c;
    const q = xBase + c;
    s0 += w[p] * x[q];
    s1 += w[p + 1] * x[q + 1];
    s2 += w[p + 2] * x[q + 2];
    s3 += w[p + 3] * x[q + 3];
    s4 += w[p + 4] * x[q + 4];
    s5 += w[p + 5] * x[q + 5];
    s6 += w[p + 6] * x[q + 6];
    s7 += w[p + 7] * x[q + 7];
  }
  for (let c = tail; c < cols; c++) s0 += w[wBase + c] * x[xBase + c];
  return s0 + s1 + s2 + s3 + (s4 + s5 + s6 + s7);
}

function matmulF16(out: Float32Array, w: Uint16Array, x: Float64Array, n: number, rows: number, cols: number): void {
  const table = F16_TO_F32;
  const tail = cols - (cols % 4);
  for (let r = 0; r < rows; r++) {
    const wBase = r * cols;
    for (let t = 0; t < n; t++) {
      const xBase = t * cols;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < tail; c += 4) {
        s0 += table[w[wBase + c]] * x[xBase + c];
        s1 += table[w[wBase + c + 1]] * x[xBase + c + 1];
        s2 += table[w[wBase + c + 2]] * x[xBase + c + 2];
        s3 += table[w[wBase + c + 3]] * x[xBase + c + 3];
      }
      for (let c = tail; c < cols; c++) s0 += table[w[wBase + c]] * x[xBase + c];
      out[t * rows + r] = s0 + s1 + s2 + s3;
    }
  }
}

/** Quantized activations of the current call: (n, cols) int8 and (n, cols / 32) scales; grown, never shrunk. */
let activationQuants = new Int8Array(0);
let activationScales = new Float32Array(0);

function matmulQuantized(out: Float32Array, w: Uint8Array, type: GgmlType, x: Float32Array, n: number, rows: number, cols: number): void {
  const blocks = cols / QK;
  if (activationQuants.length < n * cols) {
    activationQuants = new Int8Array(n * cols);
    activationScales = new Float32Array(n * blocks);
  }
  const xq = activationQuants;
  const xs = activationScales;
  for (let t = 0; t < n; t++) quantizeActivationsQ8(x, t * cols, cols, xq, xs);
  const bytesPerRow = rowBytes(type, cols);
  const signed = i8View(w);
  const dot = type === GgmlType.Q8_0 ? dotQ8 : dotQ4;
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < n; t++) out[t * rows + r] = dot(w, signed, r * bytesPerRow, xq, xs, t * cols, blocks);
  }
}

/**
 * One q8_0 row (starting at byte rowStart) against quantized activations starting at xOffset, in
 * the float order of ggml's AVX2 q8_0 dot (and the native kernel): eight f32 lanes, lane l holding
 * the integer sum of products 4l .. 4l+3 of each block, each block added as a fused multiply-add
 * of the f32 scale product, then the lanes summed pairwise. Bit-equal results matter on q8 models:
 * the next matmul requantizes them, and a last-bit difference can flip a q8 rounding.
 */
function dotQ8(w: Uint8Array, signed: Int8Array, rowStart: number, xq: Int8Array, xs: Float32Array, xOffset: number, blocks: number): number {
  const table = F16_TO_F32;
  const f = Math.fround;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let a4 = 0;
  let a5 = 0;
  let a6 = 0;
  let a7 = 0;
  for (let b = 0; b < blocks; b++) {
    const o = rowStart + b * Q8_0_BLOCK_BYTES;
    const q = o + 2;
    const xb = xOffset + b * QK;
    const d = f(table[w[o] | (w[o + 1] << 8)] * xs[xb / QK]);
    // d * lane is exact in a double (24 + 17 bits), so one rounding to f32 models the FMA.
    a0 = f(a0 + d * lane(signed, q, xq, xb));
    a1 = f(a1 + d * lane(signed, q + 4, xq, xb + 4));
    a2 = f(a2 + d * lane(signed, q + 8, xq, xb + 8));
    a3 = f(a3 + d * lane(signed, q + 12, xq, xb + 12));
    a4 = f(a4 + d * lane(signed, q + 16, xq, xb + 16));
    a5 = f(a5 + d * lane(signed, q + 20, xq, xb + 20));
    a6 = f(a6 + d * lane(signed, q + 24, xq, xb + 24));
    a7 = f(a7 + d * lane(signed, q + 28, xq, xb + 28));
  }
  return f(f(f(a0 + a4) + f(a2 + a6)) + f(f(a1 + a5) + f(a3 + a7)));
}

/** Sum of four consecutive int8 products: one f32 lane of the q8_0 dot. */
function lane(signed: Int8Array, q: number, xq: Int8Array, x: number): number {
  return signed[q] * xq[x] + signed[q + 1] * xq[x + 1] + signed[q + 2] * xq[x + 2] + signed[q + 3] * xq[x + 3];
}

/** One q4_0 row: low nibbles pair with activations 0..15 of a block, high nibbles with 16..31. */
function dotQ4(w: Uint8Array, _signed: Int8Array, rowStart: number, xq: Int8Array, xs: Float32Array, xOffset: number, blocks: number): number {
  const table = F16_TO_F32;
  let sum = 0;
  for (let b = 0; b < blocks; b++) {
    const o = rowStart + b * Q4_0_BLOCK_BYTES;
    const q = o + 2;
    const xb = xOffset + b * QK;
    let isum = 0;
    for (let j = 0; j < 16; j += 2) {
      const b0 = w[q + j];
      const b1 = w[q + j + 1];
      isum += ((b0 & 15) - 8) * xq[xb + j] + ((b1 & 15) - 8) * xq[xb + j + 1] + ((b0 >> 4) - 8) * xq[xb + j + 16] + ((b1 >> 4) - 8) * xq[xb + j + 17];
    }
    sum += table[w[o] | (w[o + 1] << 8)] * xs[xb / QK] * isum;
  }
  return sum;
}
