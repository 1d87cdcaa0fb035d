import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Llama, getLlama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ModelDtype, type PresetName, createModelFile, describeModelFile } from "../../src/engine/model-file/index.js";

/**
 * Every preset x dtype we generate must load in llama.cpp (node-llama-cpp's shipped CPU build); a
 * subset also evaluates a prompt, so the graph llama.cpp builds from our shapes actually runs.
 */
const CASES: Array<[PresetName, ModelDtype, "load" | "evaluate"]> = [
  ["tiny", "f32", "evaluate"],
  ["tiny", "f16", "load"],
  ["tiny", "q8_0", "evaluate"],
  ["tiny", "q4_0", "evaluate"],
  ["tiny-bpe", "f32", "load"],
  ["tiny-bpe", "q8_0", "load"],
  ["tiny-qwen2", "f32", "evaluate"],
  ["tiny-qwen2", "q4_0", "load"],
  ["stories15m", "f32", "load"],
  ["stories15m", "q8_0", "evaluate"],
];

let directory: string;
let llama: Llama;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "pyagent-model-llamacpp-"));
  llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
});

afterAll(async () => {
  await llama?.dispose();
  rmSync(directory, { recursive: true, force: true });
});

describe("llama.cpp loads the generated model files", () => {
  for (const [preset, dtype, check] of CASES) {
    it(`${preset} ${dtype}: loads${check === "evaluate" ? " and evaluates a prompt" : ""} with the shape we describe`, async () => {
      const path = join(directory, `${preset}-${dtype}.gguf`);
      createModelFile({ out: path, preset, dtype, seed: 5 });
      const description = describeModelFile(path);
      const model = await llama.loadModel({ modelPath: path });
      try {
        expect(model.trainContextSize).toBe(description.contextLength);
        expect(model.tokens.bos === null ? null : Number(model.tokens.bos)).toBe(description.tokenizer.bos);
        if (check === "evaluate") {
          const context = await model.createContext({ contextSize: 32, threads: 1 });
          try {
            const generator = context.getSequence().evaluate(model.tokenize("Once upon a time"));
            const first = await generator.next();
            await generator.return();
            expect(first.value).toBeGreaterThanOrEqual(0);
            expect(first.value).toBeLessThan(description.tokenizer.vocabSize);
          } finally {
            await context.dispose();
          }
        }
      } finally {
        await model.dispose();
      }
    });
  }
});
