import { expect } from "vitest";
import { encodeF16, GgmlType, quantizeQ4_0, quantizeQ8_0 } from "../gguf/index.js";
import { createJsKernels } from "./js-kernels.js";
import type { KernelSet } from "./kernel-set.js";

/** Deterministic pseudo-random values in [-1, 1) (mulberry32). */
export function randomValues(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** `values` as a matrix of `type`, the bytes a GGUF file holds. */
export function encode(type: GgmlType, values: Float32Array): Uint8Array {
  switch (type) {
    case GgmlType.F32:
      return new Uint8Array(values.slice().buffer);
    case GgmlType.F16:
      return encodeF16(values);
    case GgmlType.Q8_0:
      return quantizeQ8_0(values);
    default:
      return quantizeQ4_0(values);
  }
}

/** Fails, naming the first differing element, unless `actual` has exactly the bits of `expected`. */
export function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) expect.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (bits differ)`);
  }
}

/**
 * Every product of `kernels` (a 37 x 320 matrix of each type, against `n` tokens for each n of
 * `tokenCounts`) within 1e-4 of the TypeScript kernels': both quantize activations the same way.
 */
export function expectProductsCloseToJs(kernels: KernelSet, tokenCounts: number[], weightSeed: (type: GgmlType) => number, what: string): void {
  const js = createJsKernels();
  const [rows, cols] = [37, 320];
  for (const type of [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0]) {
    for (const n of tokenCounts) {
      const weights = encode(type, randomValues(rows * cols, weightSeed(type)));
      const x = randomValues(n * cols, 12);
      const a = new Float32Array(n * rows);
      const b = new Float32Array(n * rows);
      kernels.matmul(a, weights, type, x, n, rows, cols);
      js.matmul(b, weights, type, x, n, rows, cols);
      for (let i = 0; i < a.length; i++) {
        if (Math.abs(a[i] - b[i]) > 1e-4) expect.fail(`${what}${GgmlType[type]} n=${n} out[${i}]: native ${a[i]} vs js ${b[i]}`);
      }
    }
  }
}
