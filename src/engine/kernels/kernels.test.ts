import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dequantize, GgmlType } from "../gguf/index.js";
import { createJsKernels, createNativeKernels, createReferenceKernels, type KernelSet, loadKernels, nativeInfo, packageRoot, QK, RopeStyle, roundToF16InPlace } from "./index.js";
import { encode, expectProductsCloseToJs, expectSameBits, randomValues } from "./test-support.js";


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

    it("rope gives the same bits whatever was turned before (other head sizes, bases, positions) and far past 65,536 positions", () => {
      const kernels = create();
      const vec = randomValues(2 * 4 * 16, 9);
      const turn = (headDim: number, position: number, base: number) => {
        const out = vec.slice(0, 2 * 4 * headDim);
        kernels.rope(out, 2, 4, headDim, position, base, RopeStyle.Normal);
        return out;
      };
      const first = [turn(16, 40, 10000), turn(16, 70_000, 10000), turn(8, 40, 10000), turn(16, 40, 500000)];
      // Interleaved with other shapes, and repeated: the same bits as the first time.
      const again = [turn(16, 40, 10000), turn(16, 70_000, 10000), turn(8, 40, 10000), turn(16, 40, 500000)];
      for (let i = 0; i < first.length; i++) expect(Array.from(again[i])).toEqual(Array.from(first[i]));
      // Each against the float64 reference (position 70,000 loosely: float angles drift with position).
      const shapes: Array<[number, number, number, number]> = [[16, 40, 10000, 1e-5], [16, 70_000, 10000, 0.05], [8, 40, 10000, 1e-5], [16, 40, 500000, 1e-5]];
      shapes.forEach(([headDim, position, base, tolerance], i) => {
        const expected = vec.slice(0, 2 * 4 * headDim);
        reference.rope(expected, 2, 4, headDim, position, base, RopeStyle.Normal);
        for (let j = 0; j < expected.length; j++) expect(Math.abs(first[i][j] - expected[j]), `shape ${i} value ${j}`).toBeLessThan(tolerance);
      });
    });

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
      const table = Int32Array.of(0);
      const expected = new Float32Array(q.length);
      reference.attention(expected, q, keys, values, table, 40, position, n, nHeads, nKvHeads, headDim, new Float32Array(64));
      const actual = new Float32Array(q.length);
      kernels.attention(actual, q, keys, values, table, 40, position, n, nHeads, nKvHeads, headDim, new Float32Array(64));
      for (let i = 0; i < q.length; i++) expect(actual[i]).toBeCloseTo(expected[i], 5);
      // Rows past position + n - 1 must not matter (causality).
      keys.fill(100, (position + n) * kvDim);
      const again = new Float32Array(q.length);
      kernels.attention(again, q, keys, values, table, 40, position, n, nHeads, nKvHeads, headDim, new Float32Array(64));
      expect(Array.from(again)).toEqual(Array.from(actual));
    });
  });
}

/** Fails naming the first element whose bits differ (NaN patterns included). */

/** A deterministic permutation of 0 .. count - 1 (Fisher-Yates over randomValues). */
function shuffled(count: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const random = randomValues(count, seed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(((random[i] + 1) / 2) * (i + 1)) % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Copies rows 0 .. length - 1 of a contiguous (length, kvDim) cache into a pool of `spare` more
 * blocks than needed, placed by a shuffled block table; every row the table does not address is NaN,
 * so reading one shows up in the output.
 */
function scatter(contiguous: Float32Array, kvDim: number, length: number, blockSize: number, spare: number, seed: number) {
  const blocks = Math.ceil(length / blockSize);
  const blockTable = shuffled(blocks + spare, seed).subarray(0, blocks);
  const pool = new Float32Array((blocks + spare) * blockSize * kvDim).fill(Number.NaN);
  for (let p = 0; p < length; p++) {
    const row = blockTable[Math.floor(p / blockSize)] * blockSize + (p % blockSize);
    pool.set(contiguous.subarray(p * kvDim, (p + 1) * kvDim), row * kvDim);
  }
  return { blockTable, pool };
}

/** (nHeads, nKvHeads, headDim, position, n): GQA and not, head sizes below and past one AVX2 step, prefill and decode, serial and threaded. */
const attentionShapes: Array<[number, number, number, number, number]> = [
  [6, 2, 8, 30, 5],
  [4, 4, 64, 40, 3],
  [8, 2, 64, 100, 1],
  [3, 1, 20, 0, 9],
];

const everySet: Array<[string, () => KernelSet, string | null]> = [...sets, ["reference", createReferenceKernels, null]];

for (const [setName, create, skipReason] of everySet) {
  describe.skipIf(skipReason !== null)(`kernel set ${setName}: batching and paging change no bits${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
    it("matmul rows are batch-invariant: row t of an n-token matmul equals matvec of token t alone, bit for bit", () => {
      const kernels = create();
      const rows = 37;
      for (const [type, colsList] of [
        [GgmlType.F32, [7, 45, 64, 333]],
        [GgmlType.F16, [7, 45, 333]],
        [GgmlType.Q8_0, [32, 96, 320]],
        [GgmlType.Q4_0, [32, 96, 320]],
      ] as Array<[GgmlType, number[]]>) {
        for (const cols of colsList) {
          const weights = encode(type, randomValues(rows * cols, cols * 7 + type));
          const x = randomValues(9 * cols, cols + 3);
          const alone = new Float32Array(rows);
          for (const n of [2, 3, 4, 5, 6, 9]) {
            const batched = new Float32Array(n * rows);
            kernels.matmul(batched, weights, type, x, n, rows, cols);
            for (let t = 0; t < n; t++) {
              kernels.matvec(alone, weights, type, x.subarray(t * cols, (t + 1) * cols), rows, cols);
              expectSameBits(batched.subarray(t * rows, (t + 1) * rows), alone, `${GgmlType[type]} cols=${cols} n=${n} token ${t}`);
            }
          }
        }
      }
    });

    it("rmsnorm, rope (each token at its position) and swiglu give a token the same bits alone as in a batch", () => {
      const kernels = create();
      const [n, width, heads, headDim, position] = [5, 45, 3, 16, 11];
      const weight = randomValues(width, 31);
      const x = randomValues(n * width, 32);
      const normed = new Float32Array(n * width);
      kernels.rmsnorm(normed, x, weight, 1e-5);
      const rotated = randomValues(n * heads * headDim, 33);
      const original = rotated.slice();
      kernels.rope(rotated, n, heads, headDim, position, 10000, RopeStyle.Neox);
      const gate = randomValues(n * width, 34).map((v) => v * 6);
      const up = randomValues(n * width, 35);
      const activated = new Float32Array(n * width);
      kernels.swiglu(activated, gate, up);
      for (let t = 0; t < n; t++) {
        const row = (array: Float32Array, size: number) => array.slice(t * size, (t + 1) * size);
        const normedAlone = new Float32Array(width);
        kernels.rmsnorm(normedAlone, row(x, width), weight, 1e-5);
        expectSameBits(row(normed, width), normedAlone, `rmsnorm token ${t}`);
        const rotatedAlone = row(original, heads * headDim);
        kernels.rope(rotatedAlone, 1, heads, headDim, position + t, 10000, RopeStyle.Neox);
        expectSameBits(row(rotated, heads * headDim), rotatedAlone, `rope token ${t}`);
        const activatedAlone = new Float32Array(width);
        kernels.swiglu(activatedAlone, row(gate, width), row(up, width));
        expectSameBits(row(activated, width), activatedAlone, `swiglu token ${t}`);
      }
    });

    it("attention gives a query token the same bits alone (n = 1, at its position) as inside a batch of n", () => {
      const kernels = create();
      for (const [nHeads, nKvHeads, headDim, position, n] of attentionShapes) {
        const kvDim = nKvHeads * headDim;
        const maxTokens = position + n + 4;
        const keys = randomValues(maxTokens * kvDim, 41);
        const values = randomValues(maxTokens * kvDim, 42);
        const q = randomValues(n * nHeads * headDim, 43).map((v) => v * 3);
        const table = Int32Array.of(0);
        const scores = new Float32Array(maxTokens);
        const batched = new Float32Array(q.length);
        kernels.attention(batched, q, keys, values, table, maxTokens, position, n, nHeads, nKvHeads, headDim, scores);
        const size = nHeads * headDim;
        const alone = new Float32Array(size);
        for (let t = 0; t < n; t++) {
          kernels.attention(alone, q.subarray(t * size, (t + 1) * size), keys, values, table, maxTokens, position + t, 1, nHeads, nKvHeads, headDim, scores);
          expectSameBits(batched.subarray(t * size, (t + 1) * size), alone, `heads ${nHeads}/${nKvHeads} x ${headDim} position ${position} token ${t}`);
        }
      }
    });

    it("paged attention through a shuffled block table equals contiguous attention, bit for bit (block sizes 1, 16 and 6)", () => {
      const kernels = create();
      for (const [nHeads, nKvHeads, headDim, position, n] of attentionShapes) {
        const kvDim = nKvHeads * headDim;
        const length = position + n;
        const keys = randomValues(length * kvDim, 51);
        const values = randomValues(length * kvDim, 52);
        const q = randomValues(n * nHeads * headDim, 53).map((v) => v * 3);
        const scores = new Float32Array(length);
        const contiguous = new Float32Array(q.length);
        kernels.attention(contiguous, q, keys, values, Int32Array.of(0), length, position, n, nHeads, nKvHeads, headDim, scores);
        expect(contiguous.every(Number.isFinite)).toBe(true);
        // 6 divides none of the lengths (35, 43, 101, 9); 16 leaves a partial last block.
        for (const blockSize of [1, 16, 6]) {
          const pagedKeys = scatter(keys, kvDim, length, blockSize, 3, blockSize * 100 + length);
          const pagedValues = scatter(values, kvDim, length, blockSize, 3, blockSize * 100 + length);
          // Keys and values share one table in the engine; move the values to the keys' blocks.
          const valuePool = new Float32Array(pagedValues.pool.length).fill(Number.NaN);
          for (let b = 0; b < pagedKeys.blockTable.length; b++) {
            const from = pagedValues.blockTable[b] * blockSize * kvDim;
            valuePool.set(pagedValues.pool.subarray(from, from + blockSize * kvDim), pagedKeys.blockTable[b] * blockSize * kvDim);
          }
          const paged = new Float32Array(q.length);
          kernels.attention(paged, q, pagedKeys.pool, valuePool, pagedKeys.blockTable, blockSize, position, n, nHeads, nKvHeads, headDim, scores);
          expectSameBits(paged, contiguous, `heads ${nHeads}/${nKvHeads} x ${headDim} length ${length} blockSize ${blockSize}`);
        }
      }
    });

    it("add is the float sum of every pair (out may be a view), and rejects an x shorter than out", () => {
      const kernels = create();
      for (const length of [1, 7, 8, 33, 6144]) {
        const out = randomValues(length + 3, 91).subarray(1, length + 1);
        const x = randomValues(length, 92).map((v) => v * 1e-3);
        const expected = Float32Array.from(out, (v, i) => Math.fround(v + x[i]));
        kernels.add(out, x);
        expectSameBits(out, expected, `add of ${length}`);
      }
      expect(() => kernels.add(new Float32Array(8), new Float32Array(7))).toThrow(RangeError);
    });

    it("attendBatch gives every segment the bits of rope, f16 rounding, cache writes and attention one segment at a time", () => {
      const kernels = create();
      for (const [nHeads, nKvHeads, headDim, style] of [
        [6, 2, 8, RopeStyle.Normal],
        [8, 8, 48, RopeStyle.Normal],
        [4, 2, 64, RopeStyle.Neox],
        [3, 3, 14, RopeStyle.Normal],
      ] as const) {
        const qDim = nHeads * headDim;
        const kvDim = nKvHeads * headDim;
        const blockSize = 4;
        // Three sequences: a prompt chunk at 0, a decode token deep in its cache, a chunk after a cached prefix.
        const positions = [0, 37, 9];
        const counts = [6, 1, 5];
        const blockTables = [Int32Array.of(3, 11), Int32Array.of(0, 5, 9, 1, 2, 6, 7, 8, 10, 12), Int32Array.of(4, 13, 14, 15)];
        const total = counts.reduce((a, b) => a + b, 0);
        const pool = 16 * blockSize * kvDim;
        const q = randomValues(total * qDim, 71).map((x) => x * 3);
        const k = randomValues(total * kvDim, 72);
        const v = randomValues(total * kvDim, 73);
        const keys = randomValues(pool, 74);
        const values = randomValues(pool, 75);
        const scores = new Float32Array(64);

        // One segment at a time with the set's own rope and attention.
        const expectedKeys = Float32Array.from(keys);
        const expectedValues = Float32Array.from(values);
        const expectedQ = Float32Array.from(q);
        const expectedK = Float32Array.from(k);
        const expectedV = Float32Array.from(v);
        const expected = new Float32Array(total * qDim);
        for (let s = 0, row = 0; s < 3; row += counts[s], s++) {
          kernels.rope(expectedQ.subarray(row * qDim, (row + counts[s]) * qDim), counts[s], nHeads, headDim, positions[s], 10000, style);
          kernels.rope(expectedK.subarray(row * kvDim, (row + counts[s]) * kvDim), counts[s], nKvHeads, headDim, positions[s], 10000, style);
        }
        roundToF16InPlace(expectedQ);
        roundToF16InPlace(expectedK);
        roundToF16InPlace(expectedV);
        for (let s = 0, row = 0; s < 3; row += counts[s], s++) {
          for (let t = 0; t < counts[s]; t++) {
            const at = positions[s] + t;
            const physical = (blockTables[s][Math.floor(at / blockSize)] * blockSize + (at % blockSize)) * kvDim;
            expectedKeys.set(expectedK.subarray((row + t) * kvDim, (row + t + 1) * kvDim), physical);
            expectedValues.set(expectedV.subarray((row + t) * kvDim, (row + t + 1) * kvDim), physical);
          }
          const rows = [row * qDim, (row + counts[s]) * qDim] as const;
          kernels.attention(expected.subarray(...rows), expectedQ.subarray(...rows), expectedKeys, expectedValues, blockTables[s], blockSize, positions[s], counts[s], nHeads, nKvHeads, headDim, scores);
        }

        const segments = Int32Array.of(positions[0], counts[0], 0, 2, positions[1], counts[1], 2, 10, positions[2], counts[2], 12, 4);
        const tables = Int32Array.from([...blockTables[0], ...blockTables[1], ...blockTables[2]]);
        const out = new Float32Array(total * qDim);
        kernels.attendBatch(out, q, k, v, keys, values, { segments, tables }, { nHeads, nKvHeads, headDim, blockSize, freqBase: 10000, style }, scores);
        const what = `heads ${nHeads}/${nKvHeads} x ${headDim}`;
        expectSameBits(out, expected, `${what}: attention`);
        expectSameBits(keys, expectedKeys, `${what}: key cache`);
        expectSameBits(values, expectedValues, `${what}: value cache`);
        expectSameBits(q, expectedQ, `${what}: q after rope and rounding`);
      }
    });

    it("attendBatch rejects a block table outside the pool or outside its tables, and leaves the cache as it was", () => {
      const kernels = create();
      const shape = { nHeads: 2, nKvHeads: 2, headDim: 8, blockSize: 4, freqBase: 10000, style: RopeStyle.Normal };
      const kvDim = 16;
      const keys = randomValues(8 * 4 * kvDim, 81);
      const values = randomValues(8 * 4 * kvDim, 82);
      const before = Float32Array.from(keys);
      const q = randomValues(2 * kvDim, 83);
      const call = (segments: Int32Array, tables: Int32Array) => () =>
        kernels.attendBatch(new Float32Array(q.length), Float32Array.from(q), randomValues(2 * kvDim, 84), randomValues(2 * kvDim, 85), keys, values, { segments, tables }, shape, new Float32Array(64));
      expect(call(Int32Array.of(5, 1, 0, 2, 2, 1, 2, 1), Int32Array.of(0, 8, 3))).toThrow(/block table entry 1 \(8\)/);
      expect(keys).toEqual(before);
      expect(call(Int32Array.of(5, 1, 0, 2, 2, 1, 2, 5), Int32Array.of(0, 1, 3))).toThrow(/segment 1's block table lies outside tables/);
      expect(keys).toEqual(before);
      expect(call(Int32Array.of(5, 1, 0, 2, 2, 1, 2, 1), Int32Array.of(0, 1, 3))).not.toThrow();
    });

    it("out-of-range block table is rejected: an entry past the pool, a negative entry, a table too short", () => {
      const kernels = create();
      const [nHeads, nKvHeads, headDim, position, n, blockSize] = [4, 2, 8, 30, 5, 16];
      const kvDim = nKvHeads * headDim;
      // 35 positions fill blocks 0, 1 and rows 0 .. 2 of block 2: a pool of 35 rows is exactly enough.
      const keys = randomValues(35 * kvDim, 61);
      const values = randomValues(35 * kvDim, 62);
      const q = randomValues(n * nHeads * headDim, 63);
      const out = new Float32Array(q.length);
      const call = (table: Int32Array, pool = keys) => () =>
        kernels.attention(out, q, pool, values, table, blockSize, position, n, nHeads, nKvHeads, headDim, new Float32Array(64));
      expect(call(Int32Array.of(0, 1, 2))).not.toThrow();
      // Entries past the ones position + n needs are never read, so they are not checked.
      expect(call(Int32Array.of(0, 1, 2, -7, 1 << 30))).not.toThrow();
      expect(call(Int32Array.of(0, 1, 3))).toThrow(/block table entry 2/);
      expect(call(Int32Array.of(2, 1, 0))).toThrow(/block table entry 0/);
      expect(call(Int32Array.of(0, -1, 2))).toThrow(/block table entry 1/);
      expect(call(Int32Array.of(0, 1))).toThrow(/block table has 2 entries/);
      expect(call(Int32Array.of(0, 1, 2), keys.subarray(0, 34 * kvDim))).toThrow(/block table entry 2/);
    });
  });
}

/** argmax's definition: the first index whose value is greater than every earlier best. */
function scanArgmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

for (const [setName, create, skipReason] of everySet) {
  describe.skipIf(skipReason !== null)(`kernel set ${setName}: argmax${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
    it("picks the lowest index among ties, at every position modulo four and eight and in the tail", () => {
      const kernels = create();
      for (let length = 1; length <= 40; length++) {
        for (let first = 0; first < length; first++) {
          for (let second = first; second < length; second += 3) {
            const values = new Float32Array(length).fill(-1);
            values[first] = 5;
            values[second] = 5;
            expect(kernels.argmax(values)).toBe(first);
          }
        }
      }
    });

    it("agrees with a plain scan on random logits, NaN, infinities and signed zeros, short and vocabulary-sized", () => {
      const kernels = create();
      let state = 7;
      const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 20 - 10;
      for (let trial = 0; trial < 120; trial++) {
        // Lengths around the SIMD widths, and vocabulary sizes the native set splits across threads.
        const length = trial % 4 === 3 ? [16383, 16384, 32000, 50257, 151936][trial % 5] : 1 + ((trial * 7) % 300);
        const values = Float32Array.from({ length }, next);
        if (trial % 3 === 0) values[(trial * 13) % length] = values[scanArgmax(values)];
        if (trial % 5 === 0) values[(trial * 31) % length] = Number.NaN;
        if (trial % 7 === 0) values[length - 1] = 11;
        expect(kernels.argmax(values)).toBe(scanArgmax(values));
      }
      const vocabulary = 32000;
      const cases: number[][] = [
        [],
        [Number.NaN, 3, 4],
        [1, Number.NaN, 4, 4],
        [-0, 0, -1],
        [0, -0],
        [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
        [1, 2, Number.POSITIVE_INFINITY, 3, Number.POSITIVE_INFINITY],
        Array.from({ length: 200 }, () => Number.NEGATIVE_INFINITY),
        Array.from({ length: 200 }, (_, i) => (i === 0 ? 1 : Number.NaN)),
        Array.from({ length: 200 }, (_, i) => (i === 150 || i === 70 ? -0 : i === 100 ? 0 : -1)),
        // Vocabulary-sized: a tie across the halves the threads scan, the maximum alone in the second
        // half, a second half of NaN, everything -inf, signed zeros on both sides of the middle.
        Array.from({ length: vocabulary }, (_, i) => (i === 100 || i === 31000 ? 7 : -1)),
        Array.from({ length: vocabulary }, (_, i) => (i === 31999 ? 7 : i % 97)),
        Array.from({ length: vocabulary }, (_, i) => (i < 16000 ? -5 : Number.NaN)),
        Array.from({ length: vocabulary }, (_, i) => (i < 16000 ? Number.NaN : 2)),
        Array.from({ length: vocabulary }, () => Number.NEGATIVE_INFINITY),
        Array.from({ length: vocabulary }, (_, i) => (i === 20000 ? 0 : i === 9000 ? -0 : -3)),
      ];
      for (const values of cases) {
        const array = Float32Array.from(values);
        expect(kernels.argmax(array)).toBe(values.length === 0 ? 0 : scanArgmax(array));
      }
      // A view into a larger buffer reads only its own values.
      const buffer = Float32Array.from({ length: 3 * vocabulary }, (_, i) => (i === 2 * vocabulary + 5 ? 99 : i === vocabulary + 77 ? 50 : 0));
      expect(kernels.argmax(buffer.subarray(vocabulary, 2 * vocabulary))).toBe(77);
    });
  });
}

describe.skipIf(!nativeAvailable)("native and js kernels", () => {
  it("agree closely on every product, because both quantize activations the same way (batched and single)", () => {
    expectProductsCloseToJs(createNativeKernels(2), [1, 4, 6], () => 11, "");
  });

  it("give bit-identical q8_0 products on the AVX levels (ggml's lane order), batched and single, so q8 models requantize the same values", () => {
    const native = createNativeKernels(1);
    // The scalar C path sums blocks in one float, not ggml's eight lanes; the AVX levels are bit-exact.
    if (nativeInfo().simd === "scalar") return;
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
