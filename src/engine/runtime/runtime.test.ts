import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADDON_RELATIVE_PATH, packageRoot } from "../kernels/index.js";
import { createModelFile, type ModelDtype, type PresetName } from "../model-file/index.js";
import {
  checkWeightsFit,
  detectHardware,
  kvBytesPerToken,
  type LoadedModel,
  loadModel,
  MAX_BATCH,
  ModelTooLargeError,
  planContextLength,
  planKvBlocks,
  referenceLogits,
  SequenceError,
} from "./index.js";

const nativeAvailable = existsSync(join(packageRoot(), ADDON_RELATIVE_PATH));
let directory: string;
const paths = new Map<string, string>();

function modelPath(preset: PresetName, dtype: ModelDtype): string {
  const key = `${preset}-${dtype}`;
  let path = paths.get(key);
  if (path === undefined) {
    path = join(directory, `${key}.gguf`);
    createModelFile({ out: path, preset, dtype, seed: 7 });
    paths.set(key, path);
  }
  return path;
}

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "pyagent-runtime-"));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const PROMPT = [1, 17, 302, 5, 999, 64, 128, 3];
/**
 * Logits of two kernel sets (or of batched vs single-token passes) agree within this. Float sums in
 * a different order differ by ~1e-6, but the pass rounds Q, K, V and the attention weights to f16
 * as llama.cpp does, and a value near an f16 rounding boundary can round the other way: a 2^-11
 * relative step, measured to move tiny's logits by up to 3.4e-4.
 */
const LOGIT_TOLERANCE = 1e-3;
const kernelKinds = nativeAvailable ? (["native", "js"] as const) : (["js"] as const);

describe("forward pass", () => {
  for (const preset of ["tiny", "tiny-qwen2"] as const) {
    for (const kind of kernelKinds) {
      it(`${preset} f32 logits of the ${kind} kernels equal the reference pass within LOGIT_TOLERANCE`, () => {
        const model = loadModel(modelPath(preset, "f32"), { kernels: kind, threads: 2 });
        try {
          expect(model.kernels.name).toBe(kind);
          const expected = referenceLogits(model, PROMPT);
          const sequence = model.newSequence();
          for (let t = 0; t < PROMPT.length; t++) {
            const logits = sequence.forward([PROMPT[t]]);
            expect(maxDifference(logits, expected[t])).toBeLessThan(LOGIT_TOLERANCE);
          }
        } finally {
          model.close();
        }
      });
    }
  }

  for (const kind of kernelKinds) {
    it(`prefill of n tokens at once equals n single-token forwards (${kind}, across batch chunks)`, () => {
      const model = loadModel(modelPath("tiny", "f32"), { kernels: kind, threads: 2 });
      try {
        const tokens = Array.from({ length: MAX_BATCH + 6 }, (_, i) => (i * 37 + 1) % model.config.vocabSize);
        const batched = model.newSequence().forward(tokens, { allLogits: true });
        const single = model.newSequence();
        const vocab = model.config.vocabSize;
        for (let t = 0; t < tokens.length; t++) {
          const logits = single.forward([tokens[t]]);
          expect(maxDifference(logits, batched.subarray(t * vocab, (t + 1) * vocab))).toBeLessThan(LOGIT_TOLERANCE);
        }
        const lastOnly = model.newSequence().forward(tokens);
        expect(maxDifference(lastOnly, batched.subarray((tokens.length - 1) * vocab))).toBeLessThan(LOGIT_TOLERANCE);
      } finally {
        model.close();
      }
    });
  }

  it("truncate drops cached tokens so the same continuation gives the same logits", () => {
    const model = loadModel(modelPath("tiny", "f32"), { kernels: "js" });
    try {
      const sequence = model.newSequence();
      sequence.forward(PROMPT.slice(0, 5));
      const first = sequence.forward([42]).slice();
      sequence.truncate(5);
      expect(sequence.length).toBe(5);
      expect(Array.from(sequence.forward([42]))).toEqual(Array.from(first));
      expect(() => sequence.truncate(10)).toThrow(SequenceError);
    } finally {
      model.close();
    }
  });

  it("rejects token ids outside the vocabulary and tokens past the KV cache", () => {
    const model = loadModel(modelPath("tiny", "f32"), { kernels: "js" });
    try {
      const sequence = model.newSequence({ maxTokens: 4 });
      expect(() => sequence.forward([model.config.vocabSize])).toThrow(/outside the vocabulary/);
      expect(() => sequence.forward([1, 2, 3, 4, 5])).toThrow(/exceed its KV cache of 4/);
    } finally {
      model.close();
    }
  });
});

describe.skipIf(!nativeAvailable)("native and js kernels on a generated model", () => {
  for (const [preset, dtype] of [
    ["tiny", "f32"],
    ["tiny", "q8_0"],
    ["tiny-qwen2", "q8_0"],
  ] as const) {
    it(`${preset} ${dtype} gives identical greedy tokens`, () => {
      const greedy = (model: LoadedModel): number[] => {
        const sequence = model.newSequence();
        let logits = sequence.forward(PROMPT);
        const tokens: number[] = [];
        for (let i = 0; i < 24; i++) {
          tokens.push(argmax(logits));
          logits = sequence.forward([tokens[i]]);
        }
        return tokens;
      };
      const native = loadModel(modelPath(preset, dtype), { kernels: "native", threads: 2 });
      const js = loadModel(modelPath(preset, dtype), { kernels: "js" });
      try {
        expect(greedy(native)).toEqual(greedy(js));
      } finally {
        native.close();
        js.close();
      }
    });
  }

  it("tiny q4_0 logits agree between native and js within the activation-quantization noise", () => {
    // q8-quantized activations round discontinuously: a float-order difference can move one value
    // by a quantization step, so q4_0 gets a logit tolerance instead of exact greedy equality.
    const native = loadModel(modelPath("tiny", "q4_0"), { kernels: "native", threads: 2 });
    const js = loadModel(modelPath("tiny", "q4_0"), { kernels: "js" });
    try {
      expect(maxDifference(native.newSequence().forward(PROMPT), js.newSequence().forward(PROMPT))).toBeLessThan(0.2);
    } finally {
      native.close();
      js.close();
    }
  });
});

describe("model config and memory", () => {
  it("reads the qwen2 shape: attention bias, tied output", () => {
    const model = loadModel(modelPath("tiny-qwen2", "f32"), { kernels: "js" });
    try {
      expect(model.config).toMatchObject({ arch: "qwen2", dim: 64, nHeads: 4, nKvHeads: 2, headDim: 16, attentionBias: true, tiedOutput: true });
      expect(model.weights.output).toBe(model.weights.tokenEmbedding);
    } finally {
      model.close();
    }
  });

  it("picks the context from free memory and refuses, naming the numbers, when it cannot fit", () => {
    const model = loadModel(modelPath("tiny", "f32"), { kernels: "js" });
    try {
      const config = { ...model.config, contextLength: 100_000 };
      const perToken = kvBytesPerToken(config);
      const reserve = 64 * 1024 * 1024;
      expect(planContextLength("m.gguf", config, undefined, 1000, reserve + 5000 * perToken)).toBe(5000);
      expect(planContextLength("m.gguf", config, 300, 1000, reserve + 5000 * perToken)).toBe(300);
      expect(() => planContextLength("m.gguf", config, 6000, 1000, reserve + 5000 * perToken)).toThrow(ModelTooLargeError);
      expect(() => planContextLength("m.gguf", config, undefined, 1000, reserve + 10 * perToken)).toThrow(/room for 10 tokens/);
      expect(() => checkWeightsFit("big.gguf", 8 * 1024 ** 3, 4 * 1024 ** 3)).toThrow(/needs 8.0 GiB for its weights .* only 4.0 GiB is available/);
      expect(model.config.contextLength).toBeLessThanOrEqual(model.trainedContextLength);
    } finally {
      model.close();
    }
  });

  it("sizes the KV pool for max-seqs full contexts within half the free memory, and refuses a pool that does not fit", () => {
    const model = loadModel(modelPath("tiny", "f32"), { kernels: "js" });
    try {
      const config = { ...model.config, contextLength: 256 };
      const blockBytes = kvBytesPerToken(config) * 16;
      const reserve = 64 * 1024 * 1024;
      const plenty = reserve + 1000 * blockBytes * 2;
      // 4 sequences of 256 tokens = 64 blocks of 16.
      expect(planKvBlocks(config, { blockSize: 16, maxSeqs: 4, available: plenty })).toBe(64);
      // Half of what is left after the reserve: 10 blocks.
      expect(planKvBlocks(config, { blockSize: 16, maxSeqs: 4, available: reserve + 20 * blockBytes })).toBe(10);
      expect(planKvBlocks(config, { blockSize: 16, maxSeqs: 4, requested: 500, available: plenty })).toBe(500);
      expect(() => planKvBlocks(config, { blockSize: 16, maxSeqs: 4, requested: 5000, available: plenty })).toThrow(/KV pool of 5000 blocks .* ask for at most 2000 blocks/);
      expect(() => planKvBlocks(config, { blockSize: 16, maxSeqs: 4, available: reserve })).toThrow(ModelTooLargeError);
    } finally {
      model.close();
    }
  });

  it("reads cores, memory and CPU features of this machine", () => {
    const hardware = detectHardware();
    expect(hardware.cores).toBeGreaterThanOrEqual(1);
    expect(hardware.physicalCores).toBeLessThanOrEqual(hardware.cores);
    expect(hardware.availableMemory).toBeGreaterThan(0);
    expect(hardware.availableMemory).toBeLessThanOrEqual(hardware.totalMemory);
    expect(typeof hardware.features.avx2).toBe("boolean");
  });
});
