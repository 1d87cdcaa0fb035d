import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dequantize, encodeF16, GgmlType, quantizeQ4_0, quantizeQ8_0 } from "../gguf/index.js";
import { createJsKernels, createNativeKernels, createReferenceKernels, type KernelSet, loadKernels, nativeInfo, packageRoot, QK, RopeStyle } from "./index.js";

/** Deterministic pseudo-random values in [-1, 1) (mulberry32). */
function randomValues(count: number, seed: number): Float32Array {
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

function encode(type: GgmlType, values: Float32Array): Uint8Array {
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

/**
 * How far a fast set may be from the float64 reference for out[t, r]: float32 rounding, plus for
 * q8_0/q4_0 the activation quantization (each x off by at most half a step, max|block| / 254, and
 * its scale rounded to f16).
 */
function tolerance(type: GgmlType, weights: Float32Array, x: Float32Array, t: number, r: number, cols: number): number {
  let bound = 0;
  let magnitude = 0;
  for (let c = 0; c < cols; c++) {
    const w = Math.abs(weights[r * cols + c]);
    const xc = Math.abs(x[t * cols + c]);
    magnitude += w * xc;
    if (type === GgmlType.Q8_0 || type === GgmlType.Q4_0) {
      let blockMax = 0;
      const start = t * cols + c - (c % QK);
      for (let j = 0; j < QK; j++) blockMax = Math.max(blockMax, Math.abs(x[start + j]));
      bound += w * (blockMax / 254 + xc * 2 ** -10);
    }
  }
  return bound + 1e-5 * magnitude + 1e-6;
}

const nativeAvailable = existsSync(join(packageRoot(), "build", "Release", "pyagent_kernels.node"));
const sets: Array<[string, () => KernelSet, string | null]> = [
  ["js", createJsKernels, null],
  ["native (2 threads)", () => createNativeKernels(2), nativeAvailable ? null : "addon not built (npx node-gyp rebuild)"],
  ["native scalar (3 threads)", () => createNativeKernels(3, { simd: "scalar" }), nativeAvailable ? null : "addon not built (npx node-gyp rebuild)"],
];

const types: Array<[GgmlType, number[]]> = [
  [GgmlType.F32, [1, 7, 45, 333]],
  [GgmlType.F16, [1, 7, 45, 333]],
  [GgmlType.Q8_0, [32, 96, 320]],
  [GgmlType.Q4_0, [32, 96, 320]],
];

for (const [setName, create, skipReason] of sets) {
  describe.skipIf(skipReason !== null)(`kernel set ${setName}${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
    const reference = createReferenceKernels();

    for (const [type, colsList] of types) {
      it(`matvec and matmul of ${GgmlType[type]} match the dequantize-then-multiply reference for odd shapes`, () => {
        const kernels = create();
        for (const rows of [1, 3, 37, 301]) {
          for (const cols of colsList) {
            for (const n of [1, 2, 5]) {
              const weightValues = randomValues(rows * cols, rows * 1000 + cols);
              const weights = encode(type, weightValues);
              const dequantized = dequantize(type, weights, rows * cols);
              const x = randomValues(n * cols, cols + n);
              const expected = new Float32Array(n * rows);
              reference.matmul(expected, weights, type, x, n, rows, cols);
              const actual = new Float32Array(n * rows);
              if (n === 1) kernels.matvec(actual, weights, type, x, rows, cols);
              else kernels.matmul(actual, weights, type, x, n, rows, cols);
              for (let t = 0; t < n; t++) {
                for (let r = 0; r < rows; r++) {
                  const error = Math.abs(actual[t * rows + r] - expected[t * rows + r]);
                  const allowed = tolerance(type, dequantized, x, t, r, cols);
                  if (error > allowed) {
                    expect.fail(`${GgmlType[type]} rows=${rows} cols=${cols} n=${n} out[${t},${r}]: ${actual[t * rows + r]} vs ${expected[t * rows + r]}`);
                  }
                }
              }
            }
          }
        }
      });
    }

    it("rejects a quantized matrix whose cols are not a multiple of 32", () => {
      const kernels = create();
      expect(() => kernels.matvec(new Float32Array(1), new Uint8Array(34), GgmlType.Q8_0, new Float32Array(33), 1, 33)).toThrow(/multiple of 32/);
    });

    it("rmsnorm normalizes every row of a batch", () => {
      const kernels = create();
      const weight = randomValues(45, 1);
      const x = randomValues(3 * 45, 2);
      const expected = new Float32Array(x.length);
      reference.rmsnorm(expected, x, weight, 1e-5);
      const actual = new Float32Array(x.length);
      kernels.rmsnorm(actual, x, weight, 1e-5);
      for (let i = 0; i < x.length; i++) expect(actual[i]).toBeCloseTo(expected[i], 5);
    });

    for (const style of [RopeStyle.Normal, RopeStyle.Neox]) {
      it(`rope (${RopeStyle[style]}) rotates each token by its own position`, () => {
        const kernels = create();
        const n = 3;
        const heads = 4;
        const headDim = 16;
        const expected = randomValues(n * heads * headDim, 3);
        const actual = expected.slice();
        reference.rope(expected, n, heads, headDim, 17, 10000, style);
        kernels.rope(actual, n, heads, headDim, 17, 10000, style);
        for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expected[i], 5);
      });
    }

    it("softmax normalizes only the first length values", () => {
      const kernels = create();
      const x = randomValues(10, 4).map((v) => v * 20);
      const expected = x.slice();
      reference.softmax(expected, 7);
      kernels.softmax(x, 7);
      for (let i = 0; i < 10; i++) expect(x[i]).toBeCloseTo(expected[i], 6);
    });

    it("swiglu multiplies silu(gate) by up", () => {
      const kernels = create();
      const gate = randomValues(77, 5).map((v) => v * 8);
      const up = randomValues(77, 6);
      const expected = new Float32Array(77);
      reference.swiglu(expected, gate, up);
      const actual = new Float32Array(77);
      kernels.swiglu(actual, gate, up);
      for (let i = 0; i < 77; i++) expect(actual[i]).toBeCloseTo(expected[i], 5);
    });

    it("attention is causal and maps query heads to their kv group (GQA)", () => {
      const kernels = create();
      const [nHeads, nKvHeads, headDim, position, n] = [6, 2, 8, 5, 3];
      const kvDim = nKvHeads * headDim;
      const keys = randomValues(40 * kvDim, 7);
      const values = randomValues(40 * kvDim, 8);
      const q = randomValues(n * nHeads * headDim, 9).map((v) => v * 3);
      const expected = new Float32Array(q.length);
      reference.attention(expected, q, keys, values, position, n, nHeads, nKvHeads, headDim, new Float32Array(64));
      const actual = new Float32Array(q.length);
      kernels.attention(actual, q, keys, values, position, n, nHeads, nKvHeads, headDim, new Float32Array(64));
      for (let i = 0; i < q.length; i++) expect(actual[i]).toBeCloseTo(expected[i], 5);
      // Rows past position + n - 1 must not matter (causality).
      keys.fill(100, (position + n) * kvDim);
      const again = new Float32Array(q.length);
      kernels.attention(again, q, keys, values, position, n, nHeads, nKvHeads, headDim, new Float32Array(64));
      expect(Array.from(again)).toEqual(Array.from(actual));
    });
  });
}

describe.skipIf(!nativeAvailable)("native and js kernels", () => {
  it("agree closely on every product, because both quantize activations the same way (batched and single)", () => {
    const native = createNativeKernels(2);
    const js = createJsKernels();
    for (const type of [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0]) {
      for (const n of [1, 4, 6]) {
        const rows = 37;
        const cols = 320;
        const weights = encode(type, randomValues(rows * cols, 11));
        const x = randomValues(n * cols, 12);
        const a = new Float32Array(n * rows);
        const b = new Float32Array(n * rows);
        native.matmul(a, weights, type, x, n, rows, cols);
        js.matmul(b, weights, type, x, n, rows, cols);
        for (let i = 0; i < a.length; i++) {
          if (Math.abs(a[i] - b[i]) > 1e-4) expect.fail(`${GgmlType[type]} n=${n} out[${i}]: native ${a[i]} vs js ${b[i]}`);
        }
      }
    }
  });

  it("give bit-identical q8_0 products on AVX2 (ggml's lane order), batched and single, so q8 models requantize the same values", () => {
    const native = createNativeKernels(1);
    // The scalar C path sums blocks in one float, not ggml's eight lanes; only AVX2 is bit-exact.
    if (nativeInfo().simd !== "avx2") return;
    const js = createJsKernels();
    for (const n of [1, 4, 6]) {
      const rows = 37;
      const cols = 320;
      const weights = encode(GgmlType.Q8_0, randomValues(rows * cols, 21));
      const x = randomValues(n * cols, 22);
      const a = new Float32Array(n * rows);
      const b = new Float32Array(n * rows);
      native.matmul(a, weights, GgmlType.Q8_0, x, n, rows, cols);
      js.matmul(b, weights, GgmlType.Q8_0, x, n, rows, cols);
      expect(Array.from(a)).toEqual(Array.from(b));
    }
  });
});

describe.skipIf(!nativeAvailable)("native thread pool", () => {
  it("survives pools replaced right after creation (threads switched back and forth)", () => {
    const rows = 301;
    const cols = 320;
    const weights = encode(GgmlType.Q8_0, randomValues(rows * cols, 13));
    const x = randomValues(cols, 14);
    const expected = new Float32Array(rows);
    createNativeKernels(1).matvec(expected, weights, GgmlType.Q8_0, x, rows, cols);
    for (let i = 0; i < 50; i++) {
      const kernels = createNativeKernels(1 + (i % 3));
      const out = new Float32Array(rows);
      if (i % 2 === 0) kernels.matvec(out, weights, GgmlType.Q8_0, x, rows, cols);
      else continue;
      expect(maxAbs(out, expected)).toBeLessThan(1e-5);
    }
    createNativeKernels(2);
  });
});

function maxAbs(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe("loadKernels", () => {
  it("returns the TypeScript set when PYAGENT_KERNELS=js", () => {
    const saved = process.env.PYAGENT_KERNELS;
    process.env.PYAGENT_KERNELS = "js";
    try {
      expect(loadKernels("native").name).toBe("js");
    } finally {
      if (saved === undefined) delete process.env.PYAGENT_KERNELS;
      else process.env.PYAGENT_KERNELS = saved;
    }
  });

  it("falls back to the TypeScript set, saying why, when the addon is missing", () => {
    const saved = process.env.PYAGENT_NATIVE_ADDON;
    process.env.PYAGENT_NATIVE_ADDON = join(packageRoot(), "build", "missing", "pyagent_kernels.node");
    try {
      const reasons: string[] = [];
      expect(loadKernels("auto", { onFallback: (reason) => reasons.push(reason) }).name).toBe("js");
      expect(reasons[0]).toMatch(/missing.*does not exist/);
    } finally {
      if (saved === undefined) delete process.env.PYAGENT_NATIVE_ADDON;
      else process.env.PYAGENT_NATIVE_ADDON = saved;
    }
  });

  it.skipIf(!nativeAvailable)("picks the native set by default when the addon is built", () => {
    expect(loadKernels("auto", { threads: 2 }).name).toBe("native");
  });
});
