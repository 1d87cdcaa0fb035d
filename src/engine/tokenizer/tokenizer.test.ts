import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GgmlType, readGguf, writeGguf } from "../gguf/index.js";
import { createModelFile } from "../model-file/index.js";
import { type Tokenizer, TokenizerError, loadTokenizer } from "./index.js";

// Equality with llama.cpp's ids is tested in test/engine/tokenizer-llamacpp.test.ts; these tests
// pin the behaviour the engine relies on.
const dir = mkdtempSync(join(tmpdir(), "pyagent-tokenizer-"));
let spm: Tokenizer;
let bpe: Tokenizer;
let qwen: Tokenizer;

beforeAll(() => {
  const load = (preset: "tiny" | "tiny-bpe" | "tiny-qwen2") => {
    const out = join(dir, `${preset}.gguf`);
    createModelFile({ out, preset, dtype: "q8_0", seed: 1 });
    return loadTokenizer(readGguf(out));
  };
  spm = load("tiny");
  bpe = load("tiny-bpe");
  qwen = load("tiny-qwen2");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLES = ["Once upon a time", "def f(x):\n    return x * 2\n", "naïve café 日本 🙂", "  two  spaces\tand tab", "a\n\nb"];

describe("encode and decode", () => {
  it("round-trips text through both tokenizer kinds", () => {
    for (const text of SAMPLES) {
      expect(spm.decode(spm.encode(text))).toBe(text);
      expect(qwen.decode(qwen.encode(text))).toBe(text);
    }
  });

  it("SentencePiece: a leading space marks the first word, unknown characters fall back to byte tokens", () => {
    const ids = spm.encode("the");
    expect(spm.tokenText(ids[0]).startsWith(" ")).toBe(true);
    const emoji = spm.encode("🙂");
    expect(emoji.map((id) => spm.tokenText(id)).slice(-4)).toEqual(["<0xF0>", "<0x9F>", "<0x99>", "<0x82>"]);
  });

  it("adds BOS only when asked and the model wants it", () => {
    expect(spm.encode("hi", { addBos: true })[0]).toBe(spm.bos);
    expect(spm.encode("hi")[0]).not.toBe(spm.bos);
    expect(bpe.addBosByDefault).toBe(false);
    expect(bpe.encode("hi", { addBos: true })).toEqual(bpe.encode("hi"));
  });

  it("matches control tokens in text only with parseSpecial, and hides them in decode unless special", () => {
    const imStart = bpe.tokenId("<|im_start|>")!;
    const parsed = bpe.encode("<|im_start|>user", { parseSpecial: true });
    expect(parsed[0]).toBe(imStart);
    expect(bpe.encode("<|im_start|>user")).not.toContain(imStart);
    expect(bpe.decode(parsed)).toBe("user");
    expect(bpe.decode(parsed, { special: true })).toBe("<|im_start|>user");
    expect(spm.encode("<s>x</s>", { parseSpecial: true })).toEqual([spm.bos, ...spm.encode("x"), spm.eos]);
  });

  it("names the tokens that end generation", () => {
    expect([...spm.stopTokens]).toEqual([2]);
    expect(bpe.stopTokens.has(bpe.tokenId("<|im_end|>")!)).toBe(true);
    expect(bpe.stopTokens.has(bpe.tokenId("<|endoftext|>")!)).toBe(true);
    expect(bpe.stopTokens.has(bpe.tokenId("<|im_start|>")!)).toBe(false);
  });

  it("rejects ids outside the vocabulary", () => {
    expect(() => spm.decode([spm.vocabSize])).toThrow(TokenizerError);
    expect(() => spm.createDecoder().push(-1)).toThrow(/outside the vocabulary/);
  });
});

describe("streaming decoder", () => {
  it("holds back partial UTF-8 until the character is complete", () => {
    const ids = spm.encode("a🙂b");
    const decoder = spm.createDecoder();
    const pieces = ids.map((id) => decoder.push(id));
    const emojiStart = pieces.findIndex((piece, index) => piece === "" && index > 0);
    expect(pieces.slice(emojiStart, emojiStart + 4)).toEqual(["", "", "", "🙂"]);
    expect(pieces.join("") + decoder.flush()).toBe(" a🙂b"); // the stream keeps SentencePiece's leading space
  });

  it("flushes an incomplete sequence as U+FFFD", () => {
    const decoder = spm.createDecoder();
    const firstByteOfEmoji = spm.encode("🙂").find((id) => spm.tokenText(id) === "<0xF0>")!;
    expect(decoder.push(firstByteOfEmoji)).toBe("");
    expect(decoder.flush()).toBe("\ufffd");
  });

  it("gives the same text as decode with continuation: true, leading space and all", () => {
    for (const tokenizer of [spm, bpe]) {
      for (const text of [...SAMPLES, " a , b 's"]) {
        const ids = tokenizer.encode(text);
        const decoder = tokenizer.createDecoder();
        const streamed = ids.map((id) => decoder.push(id)).join("") + decoder.flush();
        expect(tokenizer.decode(ids, { continuation: true })).toBe(streamed);
      }
    }
    expect(spm.decode(spm.encode("x"), { continuation: true })).toBe(" x");
    expect(bpe.decode(bpe.encode("a , b"))).toBe("a, b"); // llama.cpp's gpt-2 clean-up
  });

  it("gives the same text as decode for byte-level BPE", () => {
    for (const text of SAMPLES) {
      const decoder = qwen.createDecoder();
      const streamed = qwen.encode(text).map((id) => decoder.push(id)).join("") + decoder.flush();
      expect(streamed).toBe(text);
    }
  });
});

describe("loadTokenizer", () => {
  it("refuses a file without a supported tokenizer, saying which kinds are supported", () => {
    const path = join(dir, "no-tokenizer.gguf");
    writeGguf(path, [["general.architecture", "llama"], ["tokenizer.ggml.model", "bert"]], [
      { name: "t", dims: [1], type: GgmlType.F32, data: new Uint8Array(4) },
    ]);
    expect(() => loadTokenizer(readGguf(path))).toThrow(TokenizerError);
    expect(() => loadTokenizer(readGguf(path))).toThrow(/"llama" \(SentencePiece\) and "gpt2"/);
  });
});
