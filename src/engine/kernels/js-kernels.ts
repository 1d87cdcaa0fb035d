import { attendBatchWith } from "./attend-batch.js";
import type { KernelSet } from "./kernel-set.js";
import { jsMatmul } from "./js-matmul.js";
import { jsAdd, jsArgmax, jsAttention, jsRmsnorm, jsRope, jsSoftmax, jsSwiglu } from "./js-ops.js";

/** The pure TypeScript kernel set: single-threaded, used when the native addon is absent or PYAGENT_KERNELS=js. */
export function createJsKernels(): KernelSet {
  const kernels: KernelSet = {
    name: "js",
    threads: 1,
    matvec: (out, weights, type, x, rows, cols) => jsMatmul(out, weights, type, x, 1, rows, cols),
    matmul: jsMatmul,
    rmsnorm: jsRmsnorm,
    rope: jsRope,
    softmax: jsSoftmax,
    swiglu: jsSwiglu,
    argmax: jsArgmax,
    add: jsAdd,
    attention: jsAttention,
    attendBatch: (...args) => attendBatchWith(kernels, ...args),
  };
  return kernels;
}
