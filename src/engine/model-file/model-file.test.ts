import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../core/index.js";
import { GgmlType, dequantize, readGguf, writeGguf } from "../gguf/index.js";
import { ModelFileError, PRESETS, createModelFile, describeModelFile } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "pyagent-model-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("createModelFile", () => {
  it("writes a tiny llama model with the standard GGUF keys, tensors and a byte-fallback vocab", () => {
    const out = join(dir, "tiny.gguf");
    createModelFile({ out, preset: "tiny", dtype: "q8_0", seed: 7 });
    const file = readGguf(out);
    const meta = file.metadata;
    expect(meta.get("general.architecture")).toBe("llama");
    expect(meta.get("llama.embedding_length")).toBe(64);
    expect(meta.get("llama.attention.head_count")).toBe(4);
    expect(meta.get("llama.attention.head_count_kv")).toBe(2);
    expect(meta.get("llama.rope.dimension_count")).toBe(16);
    const tokens = meta.get("tokenizer.ggml.tokens") as string[];
    expect(tokens).toHaveLength(PRESETS.tiny.vocabSize);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.slice(0, 3)).toEqual(["<unk>", "<s>", "</s>"]);
    expect(tokens[3 + 0x0a]).toBe("<0x0A>");
    expect(typeof meta.get("tokenizer.chat_template")).toBe("string");
    expect(file.tensors.get("blk.1.attn_k.weight")?.dims).toEqual([64, 32]);
    expect(file.tensors.get("blk.0.attn_k.weight")?.type).toBe(GgmlType.Q8_0);
    expect(file.tensors.get("blk.0.attn_norm.weight")?.type).toBe(GgmlType.F32);
    expect(file.tensors.has("output.weight")).toBe(true);
    const norm = dequantize(GgmlType.F32, file.tensorData("output_norm.weight"), 64);
    expect(Array.from(norm)).toEqual(Array(64).fill(1));
    file.close();
  });

  it("is deterministic: same seed gives identical bytes, another seed other weights", () => {
    const a = join(dir, "a.gguf");
    const b = join(dir, "b.gguf");
    const c = join(dir, "c.gguf");
    createModelFile({ out: a, preset: "tiny", dtype: "f32", seed: 1 });
    createModelFile({ out: b, preset: "tiny", dtype: "f32", seed: 1 });
    createModelFile({ out: c, preset: "tiny", dtype: "f32", seed: 2 });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(a).equals(readFileSync(c))).toBe(false);
  });

  it("reports progress per tensor, ending at the parameter count", () => {
    const reports: Array<[number, number]> = [];
    createModelFile({ out: join(dir, "progress.gguf"), preset: "tiny", dtype: "f16", seed: 1, onProgress: (w, t) => reports.push([w, t]) });
    expect(reports).toHaveLength(21); // token_embd, 2 x 9 per layer, output_norm, output
    expect(reports.every(([written], i) => i === 0 || written > reports[i - 1][0])).toBe(true);
    expect(reports[reports.length - 1]).toEqual([226624, 226624]);
  });

  it("writes qwen2 with q/k/v biases and a tied output", () => {
    const out = join(dir, "qwen2.gguf");
    createModelFile({ out, preset: "tiny-qwen2", dtype: "f16", seed: 3 });
    const file = readGguf(out);
    expect(file.metadata.get("general.architecture")).toBe("qwen2");
    expect(file.metadata.get("tokenizer.ggml.model")).toBe("gpt2");
    expect(file.tensors.get("blk.0.attn_q.bias")?.dims).toEqual([64]);
    expect(file.tensors.has("output.weight")).toBe(false);
    file.close();
  });

  it("refuses to overwrite without force, a missing directory, and unknown presets or dtypes", () => {
    const out = join(dir, "exists.gguf");
    writeFileSync(out, "keep me");
    expect(() => createModelFile({ out, preset: "tiny", dtype: "f32", seed: 1 })).toThrow(/already exists/);
    expect(readFileSync(out, "utf8")).toBe("keep me");
    createModelFile({ out, preset: "tiny", dtype: "f32", seed: 1, force: true });
    expect(readGguf(out).metadata.get("general.architecture")).toBe("llama");
    expect(() => createModelFile({ out: join(dir, "nope", "m.gguf"), preset: "tiny", dtype: "f32", seed: 1 })).toThrow(
      ModelFileError,
    );
    expect(() => createModelFile({ out: join(dir, "x.gguf"), preset: "huge" as never, dtype: "f32", seed: 1 })).toThrow(
      UsageError,
    );
    expect(() => createModelFile({ out: join(dir, "x.gguf"), preset: "tiny", dtype: "q2_k" as never, seed: 1 })).toThrow(
      /choose one of f32, f16, q8_0, q4_0/,
    );
  });

  it("creates stories15m (15.2M parameters, vocab 32000) in seconds", () => {
    const out = join(dir, "stories15m.gguf");
    const started = performance.now();
    createModelFile({ out, preset: "stories15m", dtype: "q8_0", seed: 1 });
    expect(performance.now() - started).toBeLessThan(15_000);
    const description = describeModelFile(out);
    const perLayer = 2 * 288 + 4 * 288 * 288 + 3 * 288 * 768; // two norms, q/k/v/o, gate/up/down
    expect(description.parameterCount).toBe(32000 * 288 + 6 * perLayer + 288); // tied output: no output.weight
    expect(description.parameterCount).toBe(15_191_712);
  });
});

describe("describeModelFile", () => {
  it("reports shape, parameter count, tensor type histogram, tokenizer and memory from the header", () => {
    const out = join(dir, "describe.gguf");
    createModelFile({ out, preset: "tiny", dtype: "q4_0", seed: 1 });
    const description = describeModelFile(out);
    expect(description).toMatchObject({
      architecture: "llama",
      dim: 64,
      hiddenDim: 192,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      headDim: 16,
      contextLength: 256,
      rmsEps: 1e-5,
      tiedOutput: false,
      tokenizer: { kind: "llama", vocabSize: 1000, bos: 1, eos: 2, chatTemplate: true },
    });
    const matrices = 2 * 1000 * 64 + 2 * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 192);
    const norms = 2 * 2 * 64 + 64;
    expect(description.parameterCount).toBe(matrices + norms);
    expect(description.tensorTypes.q4_0).toEqual({ tensors: 16, parameters: matrices, bytes: (matrices / 32) * 18 });
    expect(description.tensorTypes.f32).toEqual({ tensors: 5, parameters: norms, bytes: norms * 4 });
    expect(description.memory.kvCacheBytes).toBe(2 * 2 * 256 * 32 * 4);
    expect(description.memory.totalBytes).toBeGreaterThan(description.memory.weightsBytes);
    const text = description.toText();
    expect(text).toContain("architecture llama: dim 64, 2 layers, 4 heads (2 kv, head dim 16)");
    expect(text).toContain("q4_0: 16 tensors");
    expect(text).toContain("tokenizer    llama, 1000 tokens");
  });

  it("describes files with tensor types the engine cannot run, and says so", () => {
    const out = join(dir, "k-quant.gguf");
    const q4k = 12 as GgmlType; // ggml's q4_K: 256-element blocks of 144 bytes
    writeGguf(out, [["general.architecture", "llama"], ["llama.embedding_length", 256, 4]], [
      { name: "token_embd.weight", dims: [256, 2], type: q4k, data: new Uint8Array(2 * 144) },
      { name: "output_norm.weight", dims: [256], type: GgmlType.F32, data: new Uint8Array(1024) },
    ]);
    const description = describeModelFile(out);
    expect(description.tensorTypes.q4_K).toEqual({ tensors: 1, parameters: 512, bytes: 288 });
    expect(description.unsupportedTypes).toEqual(["q4_K"]);
    expect(description.toText()).toContain("cannot run q4_K tensors");
    expect(() => readGguf(out)).toThrow(/ggml type 12 \(q4_K\), which PyAgent's engine does not run/);
  });
});
