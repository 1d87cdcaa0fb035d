import { createReferenceKernels } from "../kernels/index.js";
import type { LoadedModel } from "./model.js";
import { createSequence } from "./sequence.js";

/**
 * The plain reference forward pass for correctness tests: the naive kernels (float64
 * accumulation, dequantize-then-multiply), one token at a time. Returns each token's logits.
 */
export function referenceLogits(model: LoadedModel, tokens: number[]): Float32Array[] {
  const sequence = createSequence(model.config, model.weights, createReferenceKernels(), tokens.length);
  const result: Float32Array[] = [];
  for (const token of tokens) result.push(sequence.forward([token]).slice());
  sequence.free();
  return result;
}
