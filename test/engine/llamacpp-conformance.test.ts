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
 * the same prompt must give the same token ids and the same greedy continuation.
 *
 * Random weights can produce near-ties between the two best logits; where the engines differ by
 * float rounding (llama.cpp also quantizes activations to q8 for q8_0 products), a tie may break
 * the other way. A divergence is accepted only at such a tie (our logits of the two candidates
 * within TIE_TOLERANCE), and the comparison stops there because the contexts differ after it.
 * One thread each: on a loaded 2-core machine llama.cpp's spinning thread barrier makes two
 * threads 50x slower, and thread count does not change either engine's results.
 */
const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside.";
const GREEDY_TOKENS = 32;
const TIE_TOLERANCE = { f32: 1e-3, q8_0: 2e-2 } as const;

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
  for (const preset of ["tiny", "stories15m"] as const) {
    for (const dtype of ["f32", "q8_0"] as const) {
      it(`${preset} ${dtype}: same tokenization and the same ${GREEDY_TOKENS} greedy tokens`, async () => {
        const path = join(directory, `${preset}-${dtype}.gguf`);
        createModelFile({ out: path, preset, dtype, seed: 3 });

        const ours = loadModel(path, { threads: 1 });
        const tokenizer = loadTokenizer(ours.file);
        const reference = await llama.loadModel({ modelPath: path });
        try {
          const ids = tokenizer.encode(PROMPT, { addBos: true });
          const referenceIds = [reference.tokens.bos as number, ...reference.tokenize(PROMPT).map(Number)];
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

          const context = await reference.createContext({ contextSize: 256, threads: 1 });
          const referenceTokens: number[] = [];
          for await (const token of context.getSequence().evaluate(referenceIds as never, { temperature: 0 })) {
            referenceTokens.push(Number(token));
            if (referenceTokens.length >= GREEDY_TOKENS) break;
          }
          await context.dispose();

          const firstDifference = ourTokens.findIndex((token, i) => token !== referenceTokens[i]);
          if (firstDifference >= 0) {
            const at = ourLogits[firstDifference];
            const gap = Math.abs(at[ourTokens[firstDifference]] - at[referenceTokens[firstDifference]]);
            expect(gap, `diverged at token ${firstDifference} with a logit gap of ${gap}`).toBeLessThan(TIE_TOLERANCE[dtype]);
            expect(ourTokens.slice(0, firstDifference)).toEqual(referenceTokens.slice(0, firstDifference));
          } else {
            expect(ourTokens).toEqual(referenceTokens);
          }
        } finally {
          await reference.dispose();
          ours.close();
        }
      });
    }
  }
});
