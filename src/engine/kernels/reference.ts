import type { GgmlType } from "../gguf/index.js";
import { attendBatchWith } from "./attend-batch.js";
import { jsAdd } from "./js-ops.js";
import { checkBlockTable } from "./block-table.js";
import { checkMatrix, readRow, roundToF16InPlace } from "./formats.js";
import { type KernelSet, RopeStyle } from "./kernel-set.js";

/**
 * The naive reference: dequantize each weight row to f32, then multiply with float64
 * accumulation. Slow and obviously correct; tests compare the fast sets against it.
 */
export function createReferenceKernels(): KernelSet {
  const kernels: KernelSet = {
    name: "reference",
    threads: 1,
    matvec(out, weights, type, x, rows, cols) {
      referenceMatmul(out, weights, type, x, 1, rows, cols);
    },
    matmul(out, weights, type, x, n, rows, cols) {
      referenceMatmul(out, weights, type, x, n, rows, cols);
    },
    rmsnorm(out, x, weight, eps) {
      const width = weight.length;
      for (let base = 0; base < x.length; base += width) {
        let sum = 0;
        for (let i = 0; i < width; i++) sum += x[base + i] * x[base + i];
        const scale = 1 / Math.sqrt(sum / width + eps);
        for (let i = 0; i < width; i++) out[base + i] = x[base + i] * scale * weight[i];
      }
    },
    rope(vec, n, heads, headDim, position, freqBase, style) {
      const half = headDim / 2;
      for (let t = 0; t < n; t++) {
        for (let h = 0; h < heads; h++) {
          const base = (t * heads + h) * headDim;
          for (let i = 0; i < half; i++) {
            const angle = (position + t) * freqBase ** ((-2 * i) / headDim);
            const a = style === RopeStyle.Normal ? base + 2 * i : base + i;
            const b = style === RopeStyle.Normal ? a + 1 : a + half;
            const x0 = vec[a];
            const x1 = vec[b];
            vec[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
            vec[b] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
          }
        }
      }
    },
    softmax(x, length) {
      referenceSoftmax(x, length);
    },
    add: jsAdd,
    argmax(values) {
      let best = 0;
      for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
      return best;
    },
    swiglu(out, gate, up) {
      for (let i = 0; i < out.length; i++) out[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
    },
    attention(out, q, keys, values, blockTable, blockSize, position, n, nHeads, nKvHeads, headDim, scores) {
      const kvDim = nKvHeads * headDim;
      checkBlockTable(blockTable, blockSize, position + n, Math.floor(Math.min(keys.length, values.length) / kvDim));
      // Physical row of logical position p (block-table.ts).
      const row = (p: number) => blockTable[Math.floor(p / blockSize)] * blockSize + (p % blockSize);
      const group = nHeads / nKvHeads;
      for (let t = 0; t < n; t++) {
        const length = position + t + 1;
        for (let h = 0; h < nHeads; h++) {
          const qBase = (t * nHeads + h) * headDim;
          const kvOffset = Math.floor(h / group) * headDim;
          for (let p = 0; p < length; p++) {
            let dot = 0;
            for (let i = 0; i < headDim; i++) dot += q[qBase + i] * keys[row(p) * kvDim + kvOffset + i];
            scores[p] = dot / Math.sqrt(headDim);
          }
          referenceSoftmax(scores, length);
          // The attention weights meet V in f16, as in llama.cpp's softmax(KQ)·V over its f16 cache.
          roundToF16InPlace(scores, 0, length);
          for (let i = 0; i < headDim; i++) {
            let sum = 0;
            for (let p = 0; p < length; p++) sum += scores[p] * values[row(p) * kvDim + kvOffset + i];
            out[qBase + i] = sum;
          }
        }
      }
    },
    attendBatch: (...args) => attendBatchWith(kernels, ...args),
  };
  return kernels;
}

function referenceMatmul(out: Float32Array, weights: Uint8Array, type: GgmlType, x: Float32Array, n: number, rows: number, cols: number): void {
  checkMatrix(weights, type, rows, cols);
  const row = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    readRow(row, 0, weights, type, r, cols);
    for (let t = 0; t < n; t++) {
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += row[c] * x[t * cols + c];
      out[t * rows + r] = sum;
    }
  }
}

function referenceSoftmax(x: Float32Array, length: number): void {
  let max = -Infinity;
  for (let i = 0; i < length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Math.exp(x[i] - max);
  for (let i = 0; i < length; i++) x[i] = Math.exp(x[i] - max) / sum;
}
