import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Llama, getLlama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModelFile } from "../../src/engine/model-file/index.js";
import { loadModel } from "../../src/engine/runtime/index.js";
import { loadTokenizer } from "../../src/engine/tokenizer/index.js";

/**
 * Our engine against llama.cpp (node-llama-cpp's shipped CPU build) on the same generated GGUF:
 * the same prompt must give the same token ids, a next-token distribution within
 * MAX_LOGPROB_DIFFERENCE, and the same 32 greedy tokens.
 *
 * llama.cpp runs with flash attention off, its KQ·V path: K and V in its default f16 cache, Q and
 * the softmax weights converted to f16 for the two products. Our forward pass makes the same f16
 * roundings (runtime/forward.ts, the attention kernels). That is what makes q8_0 agree: both
 * engines requantize every matmul input to q8 blocks, so an f16-sized difference in an activation
 * flips q8 roundings and grows to quantization-noise size (before the f16 roundings, q8_0 logprobs
 * differed by 0.04-0.09 and tiny q8_0 diverged at token 0). With flash attention on (llama.cpp's
 * "auto" default) the CPU accumulates softmax·V in f16 with an online softmax and tiles prefill,
 * which we do not emulate.
 *
 * Our rope angles (float running product), rmsnorm (double sum) and q8_0 dot (ggml's eight f32
 * lanes) also follow llama.cpp's float operations, so on q8 models the requantized values agree.
 *
 * Measured (scratch/e4/diag.ts, native and js alike, max |logprob difference| over 32 positions
 * teacher-forced with llama.cpp's greedy tokens): tiny f32 0.0003, tiny q8_0 0.0000, tiny-qwen2 f32
 * 0.0004, tiny-qwen2 q8_0 0.0000, stories15m f32 0.0007, stories15m q8_0 0.0246 (0.0000 at 31 of
 * 32 positions). Before: 0.0025, 0.076, 0.0027, 0.081, 0.0027, 0.099 (with flash attention on:
 * 0.0075, 0.091, 0.010, 0.089, 0.007, 0.099).
 * stories15m q8_0 alone may still diverge, and only at a near-tie (a logit gap below NEAR_TIE_GAP):
 * at its greedy token 26 the two best tokens are 0.0127 apart, and llama.cpp itself orders them one
 * way when it evaluates the whole sequence as one batch (our logits equal those at 31 of 32
 * positions) and the other way when it decodes token by token (its own logprobs differ between
 * the two modes from token 16 on, by up to 0.07; probably its single-token f16 products sum in
 * another SIMD order once the padded cache grows, not verified). The comparison stops there because
 * the contexts differ after it.
 * One thread each: on a loaded 2-core machine llama.cpp's spinning thread barrier makes two
 * threads 50x slower, and thread count does not change either engine's results.
 */
const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside.";
const GREEDY_TOKENS = 32;
/** At the prompt's end; measured 0.0005 (f32) and 0.0000 (q8_0) at most over the eight cases. */
const MAX_LOGPROB_DIFFERENCE = { f32: 0.002, q8_0: 0.002 } as const;
/** Largest logit gap at which NEAR_TIE_ALLOWED may diverge; measured 0.0127 (stories15m q8_0, token 26). */
const NEAR_TIE_GAP = 0.03;
/** The only case allowed to diverge at a near-tie (see above); every other one must match all 32 tokens. */
const NEAR_TIE_ALLOWED = new Set(["stories15m q8_0"]);

let directory: string;
let llama: Llama;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "pyagent-conformance-"));
  llama = await getLlama({ gpu: false, build: "never" });
});

afterAll(async () => {
  await llama?.dispose();
  rmSync(directory, { recursive: true, force: true });
});

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

describe("conformance with llama.cpp", () => {
  for (const preset of ["tiny", "tiny-bpe", "tiny-qwen2", "stories15m"] as const) {
    for (const dtype of ["f32", "q8_0"] as const) {
      it(`${preset} ${dtype}: same tokenization, a next-token distribution within tolerance, the same 32 greedy tokens`, async () => {
        const path = join(directory, `${preset}-${dtype}.gguf`);
        createModelFile({ out: path, preset, dtype, seed: 3 });

        const ours = loadModel(path, { threads: 1 });
        const tokenizer = loadTokenizer(ours.file);
        const reference = await llama.loadModel({ modelPath: path });
        try {
          const ids = tokenizer.encode(PROMPT, { addBos: true });
          // node-llama-cpp's tokenize adds no BOS; llama.cpp adds one when the model asks for it.
          const referenceIds = [...(tokenizer.addBosByDefault ? [reference.tokens.bos as number] : []), ...reference.tokenize(PROMPT).map(Number)];
          expect(ids).toEqual(referenceIds);

          const sequence = ours.newSequence({ maxTokens: ids.length + GREEDY_TOKENS });
          const ourTokens: number[] = [];
          const ourLogits: Float32Array[] = [];
          let logits = sequence.forward(ids);
          for (let i = 0; i < GREEDY_TOKENS; i++) {
            ourLogits.push(Float32Array.from(logits));
            const token = argmax(logits);
            ourTokens.push(token);
            logits = sequence.forward([token]);
          }
          sequence.free();

          const context = await reference.createContext({ contextSize: 256, threads: 1, flashAttention: false });
          const referenceSequence = context.getSequence();
          // llama.cpp's full next-token distribution after the prompt (temperature 1, no truncation).
          // yieldEogToken: the distribution comes with a randomly sampled token, and without it
          // node-llama-cpp ends the stream silently whenever that token happens to be end-of-text.
          let referenceProbabilities: ReadonlyMap<unknown, number> = new Map();
          const sampling = { temperature: 1, topK: 0, topP: 1, minP: 0, yieldEogToken: true };
          for await (const output of referenceSequence.evaluateWithMetadata(referenceIds as never, { probabilities: true }, sampling)) {
            referenceProbabilities = output.probabilities;
            break;
          }
          await referenceSequence.clearHistory();
          const first = ourLogits[0];
          let max = Number.NEGATIVE_INFINITY;
          for (const value of first) max = Math.max(max, value);
          let sum = 0;
          for (const value of first) sum += Math.exp(value - max);
          const logNormalizer = max + Math.log(sum);
          let difference = 0;
          for (const [token, probability] of referenceProbabilities) {
            if (probability > 1e-6) difference = Math.max(difference, Math.abs(Math.log(probability) - (first[Number(token)] - logNormalizer)));
          }
          expect(referenceProbabilities.size).toBeGreaterThan(ours.config.vocabSize / 2);
          expect(difference).toBeLessThan(MAX_LOGPROB_DIFFERENCE[dtype]);

          const referenceTokens: number[] = [];
          for await (const token of referenceSequence.evaluate(referenceIds as never, { temperature: 0 })) {
            referenceTokens.push(Number(token));
            if (referenceTokens.length >= GREEDY_TOKENS) break;
          }
          await context.dispose();

          const firstDifference = ourTokens.findIndex((token, i) => token !== referenceTokens[i]);
          if (!NEAR_TIE_ALLOWED.has(`${preset} ${dtype}`)) expect(ourTokens).toEqual(referenceTokens.slice(0, GREEDY_TOKENS));
          if (firstDifference >= 0) {
            const at = ourLogits[firstDifference];
            const gap = Math.abs(at[ourTokens[firstDifference]] - at[referenceTokens[firstDifference]]);
            expect(gap, `diverged at token ${firstDifference} with a logit gap of ${gap}`).toBeLessThan(NEAR_TIE_GAP);
          }
          expect(ourTokens.slice(0, firstDifference >= 0 ? firstDifference : GREEDY_TOKENS)).toEqual(
            referenceTokens.slice(0, firstDifference >= 0 ? firstDifference : GREEDY_TOKENS),
          );
          process.stdout.write(`${preset} ${dtype}: logprob difference ${difference.toFixed(4)}, greedy tokens equal: ${firstDifference >= 0 ? firstDifference : GREEDY_TOKENS}/${GREEDY_TOKENS}\n`);
        } finally {
          await reference.dispose();
          ours.close();
        }
      });
    }
  }
});
