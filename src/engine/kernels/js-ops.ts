import { roundToF16InPlace } from "./formats.js";
import { RopeStyle } from "./kernel-set.js";

/** The element-wise and attention kernels of the TypeScript set (shapes documented on KernelSet). */

export function jsRmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, eps: number): void {
  const width = weight.length;
  for (let base = 0; base < x.length; base += width) {
    let sum = 0;
    for (let i = 0; i < width; i++) sum += x[base + i] * x[base + i];
    const scale = 1 / Math.sqrt(sum / width + eps);
    for (let i = 0; i < width; i++) out[base + i] = x[base + i] * scale * weight[i];
  }
}

/** cos/sin of each pair's angle for the token being rotated; grown, never shrunk. */
let ropeCos = new Float64Array(0);
let ropeSin = new Float64Array(0);
/** freqBase^(-2i / headDim) for the last (freqBase, headDim) seen. */
let inverseFrequencies = new Float64Array(0);
let cachedBase = 0;

export function jsRope(vec: Float32Array, n: number, heads: number, headDim: number, position: number, freqBase: number, style: RopeStyle): void {
  const half = headDim / 2;
  if (ropeCos.length < half) {
    ropeCos = new Float64Array(half);
    ropeSin = new Float64Array(half);
  }
  if (cachedBase !== freqBase || inverseFrequencies.length !== half) {
    inverseFrequencies = new Float64Array(half);
    for (let i = 0; i < half; i++) inverseFrequencies[i] = freqBase ** ((-2 * i) / headDim);
    cachedBase = freqBase;
  }
  for (let t = 0; t < n; t++) {
    const pos = position + t;
    for (let i = 0; i < half; i++) {
      const angle = pos * inverseFrequencies[i];
      ropeCos[i] = Math.cos(angle);
      ropeSin[i] = Math.sin(angle);
    }
    // Normal rotates (2i, 2i+1): stride 2 between pairs, partner 1 away; Neox rotates (i, i+half).
    const pairStride = style === RopeStyle.Normal ? 2 : 1;
    const partner = style === RopeStyle.Normal ? 1 : half;
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const a = base + i * pairStride;
        const x0 = vec[a];
        const x1 = vec[a + partner];
        vec[a] = x0 * ropeCos[i] - x1 * ropeSin[i];
        vec[a + partner] = x0 * ropeSin[i] + x1 * ropeCos[i];
      }
    }
  }
}

export function jsSoftmax(x: Float32Array, length: number): void {
  let max = -Infinity;
  for (let i = 0; i < length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const e = Math.exp(x[i] - max);
    x[i] = e;
    sum += e;
  }
  const inverse = 1 / sum;
  for (let i = 0; i < length; i++) x[i] *= inverse;
}

/**
 * Rounds every step to f32 like the C kernel: its output feeds q8 activation quantization, where
 * a one-ulp difference can flip a rounding, so the two sets stay bit-identical here.
 */
export function jsSwiglu(out: Float32Array, gate: Float32Array, up: Float32Array): void {
  const fround = Math.fround;
  for (let i = 0; i < out.length; i++) {
    const g = gate[i];
    out[i] = fround(g / fround(1 + fround(Math.exp(-g)))) * up[i];
  }
}

export function jsAttention(
  out: Float32Array,
  q: Float32Array,
  keys: Float32Array,
  values: Float32Array,
  position: number,
  n: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  scores: Float32Array,
): void {
  const kvDim = nKvHeads * headDim;
  const group = nHeads / nKvHeads;
  const scale = 1 / Math.sqrt(headDim);
  for (let t = 0; t < n; t++) {
    const length = position + t + 1;
    for (let h = 0; h < nHeads; h++) {
      const qBase = (t * nHeads + h) * headDim;
      const kvOffset = ((h / group) | 0) * headDim;
      for (let p = 0; p < length; p++) {
        const kBase = p * kvDim + kvOffset;
        let dot = 0;
        for (let i = 0; i < headDim; i++) dot += q[qBase + i] * keys[kBase + i];
        scores[p] = dot * scale;
      }
      jsSoftmax(scores, length);
      // The attention weights meet V in f16, as in llama.cpp's softmax(KQ)·V over its f16 cache.
      roundToF16InPlace(scores, 0, length);
      for (let i = 0; i < headDim; i++) out[qBase + i] = 0;
      for (let p = 0; p < length; p++) {
        const weight = scores[p];
        const vBase = p * kvDim + kvOffset;
        for (let i = 0; i < headDim; i++) out[qBase + i] += weight * values[vBase + i];
      }
    }
  }
}
