import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GgmlType } from "../gguf/index.js";
import { createJsKernels, createNativeKernels, type KernelSet, nativeInfo, packageRoot, type SimdLevel } from "./index.js";
import { encode, expectProductsCloseToJs, expectSameBits, randomValues } from "./test-support.js";

// Every SIMD level of the native addon that this CPU can run (scalar, avx2, avx512), each forced in
// turn: the batched kernels of each level must give every token the bits of that level's
// single-token dot, and the AVX levels must agree with each other and with ggml's q8_0 lane order.

const nativeAvailable = existsSync(join(packageRoot(), "build", "Release", "pyagent_kernels.node"));
const levels: SimdLevel[] = nativeAvailable ? nativeInfo().levels : [];
const avxLevels = levels.filter((level) => level !== "scalar");

// Shapes that cross every tile edge: row counts around the row groups (1 .. 4 rows, 3 per group
// for AVX-512 f32, several L1 row tiles at 768 columns), token counts around the token groups
// (3, 4, 8 per group; odd counts leave a lone token in a pair), columns with and without tails.
const shapes: Array<[GgmlType, number[], number[]]> = [
  [GgmlType.F32, [1, 2, 4, 5, 37], [7, 32, 45, 64, 333]],
  [GgmlType.F32, [3, 20], [768]],
  [GgmlType.F16, [5, 37], [45, 64]],
  [GgmlType.Q8_0, [1, 2, 3, 4, 5, 37], [32, 96, 320]],
  [GgmlType.Q8_0, [7, 61], [768]],
  [GgmlType.Q4_0, [5, 37], [32, 320]],
];
const tokenCounts = [2, 3, 4, 5, 7, 8, 9, 13, 17];

describe.skipIf(!nativeAvailable)("native kernel levels", () => {
  it("reports the levels this CPU can run, lowest first, and uses the best one by default", () => {
    const info = nativeInfo();
    expect(info.levels[0]).toBe("scalar");
    expect(info.levels.includes("avx2")).toBe(info.avx2 && info.fma && info.f16c);
    expect(info.levels.includes("avx512")).toBe(info.levels.includes("avx2") && info.avx512f && info.avx512vl && info.avx512bw && info.avx512vnni);
    createNativeKernels(2);
    expect(nativeInfo().simd).toBe(info.levels[info.levels.length - 1]);
  });

  it("rejects a level the CPU lacks or does not know, keeping the current one", () => {
    createNativeKernels(1, { simd: "scalar" });
    expect(() => createNativeKernels(1, { simd: "sse9" as SimdLevel })).toThrow(/unknown simd level/);
    for (const level of ["avx2", "avx512"] as const) {
      if (!levels.includes(level)) expect(() => createNativeKernels(1, { simd: level })).toThrow(/lacks/);
    }
    expect(nativeInfo().simd).toBe("scalar");
    createNativeKernels(2);
  });

  for (const level of levels) {
    describe(`level ${level}`, () => {
      const create = (threads: number): KernelSet => {
        const kernels = createNativeKernels(threads, { simd: level });
        expect(nativeInfo().simd).toBe(level);
        return kernels;
      };

      it("matmul is batch-invariant: token t of an n-token matmul equals matvec of token t alone, bit for bit, at every tile edge", () => {
        const kernels = create(2);
        for (const [type, rowsList, colsList] of shapes) {
          for (const rows of rowsList) {
            for (const cols of colsList) {
              const weights = encode(type, randomValues(rows * cols, rows * 31 + cols + type));
              const x = randomValues(18 * cols, cols + rows);
              const alone: Float32Array[] = [];
              for (let t = 0; t < 18; t++) {
                alone.push(new Float32Array(rows));
                kernels.matvec(alone[t], weights, type, x.subarray(t * cols, (t + 1) * cols), rows, cols);
              }
              for (const n of tokenCounts) {
                // Offset 1 puts every token at another place in its group than offset 0 does.
                for (const first of [0, 1]) {
                  const batched = new Float32Array(n * rows);
                  kernels.matmul(batched, weights, type, x.subarray(first * cols, (first + n) * cols), n, rows, cols);
                  for (let t = 0; t < n; t++) {
                    expectSameBits(batched.subarray(t * rows, (t + 1) * rows), alone[first + t], `${level} ${GgmlType[type]} ${rows}x${cols} n=${n} token ${first + t}`);
                  }
                }
              }
            }
          }
        }
      });

      it("agrees with the TypeScript kernels on every type, batched and single", () => {
        expectProductsCloseToJs(create(2), [1, 6, 9], (type) => 11 + type, `${level} `);
      });
    });
  }

  for (const level of avxLevels) {
    it(`level ${level} gives q8_0 products bit-identical to ggml's lane order (the TypeScript kernels), batched and single`, () => {
      const kernels = createNativeKernels(2, { simd: level });
      const js = createJsKernels();
      for (const [rows, cols] of [[37, 320], [13, 768]]) {
        for (const n of [1, 2, 5, 8, 11]) {
          const weights = encode(GgmlType.Q8_0, randomValues(rows * cols, 21 + cols));
          const x = randomValues(n * cols, 22 + n);
          const a = new Float32Array(n * rows);
          const b = new Float32Array(n * rows);
          kernels.matmul(a, weights, GgmlType.Q8_0, x, n, rows, cols);
          js.matmul(b, weights, GgmlType.Q8_0, x, n, rows, cols);
          expectSameBits(a, b, `${level} q8_0 ${rows}x${cols} n=${n}`);
        }
      }
    });
  }

  it("swiglu split across threads (a batch's FFN width) gives every value the bits of one thread", () => {
    const length = 9 * 4096 + 7;
    const gate = randomValues(length, 71).map((v) => v * 6);
    const up = randomValues(length, 72);
    const one = new Float32Array(length);
    const two = new Float32Array(length);
    createNativeKernels(1).swiglu(one, gate, up);
    createNativeKernels(2).swiglu(two, gate, up);
    expectSameBits(two, one, "swiglu on 2 threads vs 1");
  });

  it.skipIf(avxLevels.length < 2)("the AVX2 and AVX-512 levels give the same bits for every type and batch size", () => {
    for (const type of [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0]) {
      for (const [rows, cols] of [[37, 320], [10, 768], [5, 45]]) {
        if (type !== GgmlType.F32 && type !== GgmlType.F16 && cols % 32 !== 0) continue;
        const weights = encode(type, randomValues(rows * cols, 51 + rows));
        for (const n of [1, 3, 8, 10]) {
          const x = randomValues(n * cols, 52 + n);
          const outputs = avxLevels.map((level) => {
            const out = new Float32Array(n * rows);
            createNativeKernels(2, { simd: level }).matmul(out, weights, type, x, n, rows, cols);
            return out;
          });
          for (let i = 1; i < outputs.length; i++) expectSameBits(outputs[i], outputs[0], `${avxLevels[i]} vs ${avxLevels[0]} ${GgmlType[type]} ${rows}x${cols} n=${n}`);
        }
      }
    }
    createNativeKernels(2);
  });
});
