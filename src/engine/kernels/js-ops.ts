import { checkBlockTable } from "./block-table.js";
import { roundToF16InPlace } from "./formats.js";
import { RopeStyle } from "./kernel-set.js";

/** The element-wise and attention kernels of the TypeScript set (shapes documented on KernelSet). */

/** As llama.cpp (and the native set): float squares summed in double, mean and scale rounded to float. */
export function jsRmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, eps: number): void {
  const width = weight.length;
  const f = Math.fround;
  for (let base = 0; base < x.length; base += width) {
    let sum = 0;
    for (let i = 0; i < width; i++) sum += f(x[base + i] * x[base + i]);
    const scale = f(1 / f(Math.sqrt(f(f(sum / width) + eps))));
    for (let i = 0; i < width; i++) out[base + i] = f(x[base + i] * scale) * weight[i];
  }
}

/** cos/sin of each pair's angle for the token being rotated; grown, never shrunk. */
let ropeCos = new Float64Array(0);
let ropeSin = new Float64Array(0);

export function jsRope(vec: Float32Array, n: number, heads: number, headDim: number, position: number, freqBase: number, style: RopeStyle): void {
  const half = headDim / 2;
  if (ropeCos.length < half) {
    ropeCos = new Float64Array(half);
    ropeSin = new Float64Array(half);
  }
  // Angles in float as llama.cpp's CPU rope (and the native set) forms them: theta_0 = pos,
  // theta_{i+1} = theta_i * powf(base, -2 / headDim). Not pos * base^(-2i/d) in double: the running
  // product's rounding moves angles by ~1e-5 rad, enough to flip q8 roundings downstream.
  const f = Math.fround;
  const thetaScale = f(f(freqBase) ** f(-2 / headDim));
  for (let t = 0; t < n; t++) {
    let theta = f(position + t);
    for (let i = 0; i < half; i++) {
      ropeCos[i] = f(Math.cos(theta));
      ropeSin[i] = f(Math.sin(theta));
      theta = f(theta * thetaScale);
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
        vec[a] = f(x0 * ropeCos[i]) - f(x1 * ropeSin[i]);
        vec[a + partner] = f(x0 * ropeSin[i]) + f(x1 * ropeCos[i]);
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

/** Paged attention (layout in block-table.ts): positions in logical order, one block at a time. */
export function jsAttention(
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
): void {
  const kvDim = nKvHeads * headDim;
  checkBlockTable(blockTable, blockSize, position + n, Math.floor(Math.min(keys.length, values.length) / kvDim));
  const group = nHeads / nKvHeads;
  const scale = 1 / Math.sqrt(headDim);
  for (let t = 0; t < n; t++) {
    const length = position + t + 1;
    for (let h = 0; h < nHeads; h++) {
      const qBase = (t * nHeads + h) * headDim;
      const kvOffset = ((h / group) | 0) * headDim;
      for (let start = 0; start < length; start += blockSize) {
        const blockBase = blockTable[(start / blockSize) | 0] * blockSize - start;
        const end = Math.min(start + blockSize, length);
        for (let p = start; p < end; p++) {
          const kBase = (blockBase + p) * kvDim + kvOffset;
          let dot = 0;
          for (let i = 0; i < headDim; i++) dot += q[qBase + i] * keys[kBase + i];
          scores[p] = dot * scale;
        }
      }
      jsSoftmax(scores, length);
      // The attention weights meet V in f16, as in llama.cpp's softmax(KQ)·V over its f16 cache.
      roundToF16InPlace(scores, 0, length);
      for (let i = 0; i < headDim; i++) out[qBase + i] = 0;
      for (let start = 0; start < length; start += blockSize) {
        const blockBase = blockTable[(start / blockSize) | 0] * blockSize - start;
        const end = Math.min(start + blockSize, length);
        for (let p = start; p < end; p++) {
          const weight = scores[p];
          const vBase = (blockBase + p) * kvDim + kvOffset;
          for (let i = 0; i < headDim; i++) out[qBase + i] += weight * values[vBase + i];
        }
      }
    }
  }
}

/**
 * Index of the largest value; the lowest index wins ties (as llama.cpp's greedy sampler), NaN
 * values are never picked over a number. Four running maxima (independent chains, no index kept)
 * and the native indexOf of the maximum. Measured inside the queue (8 streams of stories15m, 400
 * tokens, a greedy sample with a logit bias): 61 µs against 81 µs for one compare-and-track loop;
 * a two-pass form with per-block maxima, faster alone (21 µs), took 123 µs there.
 */
export function jsArgmax(values: Float32Array): number {
  const length = values.length;
  let m0 = values[0];
  // A NaN first value (or none): nothing compares greater than it, the scan-and-track rule keeps 0.
  if (length === 0 || m0 !== m0) return 0;
  let m1 = m0;
  let m2 = m0;
  let m3 = m0;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const a = values[i];
    const b = values[i + 1];
    const c = values[i + 2];
    const d = values[i + 3];
    if (a > m0) m0 = a;
    if (b > m1) m1 = b;
    if (c > m2) m2 = c;
    if (d > m3) m3 = d;
  }
  for (; i < length; i++) if (values[i] > m0) m0 = values[i];
  // indexOf compares with ===, so -0 and +0 tie at the first of them, as the loop form would pick.
  return values.indexOf(Math.max(m0, m1, m2, m3));
}

/** out[i] += x[i] for i < out.length. */
export function jsAdd(out: Float32Array, x: Float32Array): void {
  if (x.length < out.length) throw new RangeError("x must be at least as long as out");
  for (let i = 0; i < out.length; i++) out[i] += x[i];
}
