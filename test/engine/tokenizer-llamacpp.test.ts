import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Llama, type LlamaModel, getLlama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GgufMetadataEntry, readGguf, writeGguf } from "../../src/engine/gguf/index.js";
import { type PresetName, createModelFile } from "../../src/engine/model-file/index.js";
import { loadTokenizer } from "../../src/engine/tokenizer/index.js";

/**
 * Our tokenizers against llama.cpp's (node-llama-cpp's shipped CPU build) on the same generated GGUF
 * files: every text, with and without special-token parsing, must give the same ids, and decoding
 * llama.cpp's ids must give llama.cpp's text. (test/engine/model-file-llamacpp.test.ts checks that llama.cpp loads every preset.)
 */
const TEXTS = [
  "Hello world",
  " Hello world",
  "Hello  world   with   runs of    spaces",
  "\n\nnew\nlines\n\n\n",
  "\tTabs\tand\r\nCRLF\r\n",
  "def main():\n    return 42\n\n\nclass A:\n        pass\n",
  'x = [1, 2, 3]  # comment\nprint(f"{x!r}")',
  "Émile naïve café résumé Ångström",
  "日本語のテキスト、中文文本。",
  "한국어 텍스트",
  "emoji 🙂🎉👨‍👩‍👧 done",
  "<s>special</s> <|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
  "<|endoftext|><|endoftext|>back to back<s><s>",
  "it's they're I'm we've you'll he'd IT'S",
  "   leading",
  "trailing   ",
  "",
  " ",
  "  ",
  "a",
  "12345678901234567890 3.14159 1e-5",
  "ünïcödé ∑ ≈ ∞ ½",
  "\u0000\u0001 control \u007f chars",
  "a\u00a0b\u2003c", // no-break and em spaces
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters",
  "Once upon a time, there was a little girl named Lily.",
  "<unk> <0x41> ▁ literal piece texts",
  "?!., ' \" ;: punctuation!!! ... ,,,",
  "  ' quoted ' x 's y 're z 've",
  "don't stop\u200b zero width",
  "\ufffd replacement and lone surrogate \ud800 here",
  "Mixed: Python's `sum(x for x in range(10))` → 45 ✓",
];

/** Seeded random texts mixing letters, whitespace runs, punctuation, non-Latin scripts and special-token texts. */
function fuzzTexts(count: number, seed: number): string[] {
  const pool = Array.from("aaaeeeiioouu bcdfghlmnprstvwy  ABCZ\n\n\t.,!?'\"()[]{}:;-_=+*/\\<>|#@$%^&~`0123456789éüñçß∑≈中文日本한🙂🎉\u00a0\u2003\u200b\r");
  const pieces = ["<s>", "</s>", "<unk>", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "'s", "'re", " 've", "    ", "\n\n\n"];
  let state = seed >>> 0;
  const below = (bound: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % bound;
  };
  return Array.from({ length: count }, () => {
    let text = "";
    for (let length = below(60); length > 0; length--) text += below(10) === 0 ? pieces[below(pieces.length)] : pool[below(pool.length)];
    return text;
  });
}

const PRESETS: PresetName[] = ["tiny", "tiny-bpe", "tiny-qwen2", "stories15m"];

let directory: string;
let llama: Llama;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "pyagent-tokenizer-llamacpp-"));
  llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
});

afterAll(async () => {
  await llama?.dispose();
  rmSync(directory, { recursive: true, force: true });
});

async function withModel(path: string, use: (model: LlamaModel) => Promise<void>): Promise<void> {
  const model = await llama.loadModel({ modelPath: path });
  try {
    await use(model);
  } finally {
    await model.dispose();
  }
}

describe("tokenizers equal llama.cpp's", () => {
  for (const preset of PRESETS) {
    it(`${preset}: same ids for 32 chosen and 150 random texts, with and without special tokens, and same decoded text`, async () => {
      const path = join(directory, `${preset}.gguf`);
      createModelFile({ out: path, preset, dtype: "q8_0", seed: 1 });
      const file = readGguf(path);
      const tokenizer = loadTokenizer(file);
      await withModel(path, async (model) => {
        for (const text of [...TEXTS, ...fuzzTexts(150, 7)]) {
          for (const parseSpecial of [false, true]) {
            const theirs = Array.from(model.tokenize(text, parseSpecial));
            expect(tokenizer.encode(text, { parseSpecial }), `${JSON.stringify(text)} special=${parseSpecial}`).toEqual(theirs);
            expect(tokenizer.decode(theirs, { special: parseSpecial }), `decode ${JSON.stringify(text)}`).toBe(
              model.detokenize(theirs as never, parseSpecial),
            );
          }
        }
      });
      file.close();
    });
  }
});

describe("byte-level BPE pre-tokenizers equal llama.cpp's", () => {
  // The same tiny-bpe vocabulary, relabelled with each tokenizer.ggml.pre we implement (absent = "default").
  for (const pre of [null, "llama-bpe", "qwen2"] as const) {
    it(`pre-tokenizer ${pre ?? "(none: default)"}: same ids and decoded text`, async () => {
      const base = join(directory, `pre-base.gguf`);
      if (!existsSync(base)) createModelFile({ out: base, preset: "tiny-bpe", dtype: "f16", seed: 1 });
      const source = readGguf(base);
      const metadata: GgufMetadataEntry[] = [];
      for (const [key, value] of source.metadata) {
        if (key === "tokenizer.ggml.pre") {
          if (pre !== null) metadata.push([key, pre]);
        } else {
          metadata.push([key, value, source.metadataTypes.get(key)]);
        }
      }
      const path = join(directory, `pre-${pre ?? "default"}.gguf`);
      const tensors = [...source.tensors.values()].map((info) => ({ ...info, data: source.tensorData(info.name) }));
      writeGguf(path, metadata, tensors);
      const tokenizer = loadTokenizer(readGguf(path));
      await withModel(path, async (model) => {
        for (const text of [...TEXTS, ...fuzzTexts(150, 11)]) {
          for (const parseSpecial of [false, true]) {
            const theirs = Array.from(model.tokenize(text, parseSpecial));
            expect(tokenizer.encode(text, { parseSpecial }), `${JSON.stringify(text)} special=${parseSpecial}`).toEqual(theirs);
            expect(tokenizer.decode(theirs, { special: parseSpecial })).toBe(model.detokenize(theirs as never, parseSpecial));
          }
        }
      });
    });
  }
});
