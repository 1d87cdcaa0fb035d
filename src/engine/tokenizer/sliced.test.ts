import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGguf } from "../gguf/index.js";
import { createModelFile } from "../model-file/index.js";
import { type Tokenizer, type Vocab, createTokenizer, readVocab } from "./index.js";
import { mergeSymbols } from "./merge.js";

// Long prompts are tokenized in pausable steps, and SentencePiece text in chunks: the ids must
// be exactly those of tokenizing the whole text in one go.
const dir = mkdtempSync(join(tmpdir(), "pyagent-tokenizer-sliced-"));
const vocabs = new Map<string, Vocab>();
const tokenizers = new Map<string, Tokenizer>();
const PRESETS = ["tiny", "tiny-bpe", "tiny-qwen2", "stories15m"] as const;

beforeAll(() => {
  for (const preset of PRESETS) {
    const out = join(dir, `${preset}.gguf`);
    createModelFile({ out, preset, dtype: "q8_0", seed: 1 });
    const vocab = readVocab(readGguf(out));
    vocabs.set(preset, vocab);
    tokenizers.set(preset, createTokenizer(vocab));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic varied text: words, code, numbers, accents, CJK, emoji, tabs, CRLF, space runs, special-token text. */
function variedText(length: number, seed: number): string {
  const words = ["the", "quick", "def", "return", "self", "élan", "naïve", "日本語", "🙂", "🙂🙂", "123", "4567", "x_y", "don't", "(a, b)", "==", "\t", "    ", "\n", "\n\n", "\r\n", "Über", "ß", "<s>", "</s>", "<|im_start|>", "a".repeat(40), " ".repeat(25), "▁"];
  let state = seed;
  let text = "";
  while (text.length < length) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    text += words[state % words.length] + (state % 7 === 0 ? "" : state % 3 === 0 ? "\n" : " ");
  }
  return text;
}

const TEXTS = [
  variedText(150_000, 1),
  variedText(60_000, 2),
  "a".repeat(50_000), // no safe cut anywhere: one chunk, merged in steps
  " ".repeat(30_000) + "x",
  "日本語🙂".repeat(8_000),
  "\n".repeat(10_000) + "ab\r\n".repeat(10_000),
];

/** SentencePiece as it was before chunking: one merge over the whole text. */
function wholeTextSpm(vocab: Vocab, text: string, addBos: boolean): number[] {
  const output: number[] = addBos && vocab.addBos && vocab.bos !== null ? [vocab.bos] : [];
  const source = (vocab.addSpacePrefix ? ` ${text}` : text).replaceAll(" ", "\u2581");
  const symbols = mergeSymbols(source, (whole, start, _middle, end) => {
    const id = vocab.ids.get(whole.slice(start, end));
    return id === undefined ? undefined : vocab.scores[id];
  });
  for (const symbol of symbols) {
    const id = vocab.ids.get(symbol);
    if (id !== undefined) output.push(id);
    else for (const byte of new TextEncoder().encode(symbol)) output.push(vocab.ids.get(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`) ?? vocab.unk ?? 0);
  }
  return output;
}

describe("tokenizing long text in steps", () => {
  it("SentencePiece merges long text chunk by chunk into the same ids as one whole-text merge", () => {
    for (const preset of ["tiny", "stories15m"]) {
      const vocab = vocabs.get(preset)!;
      const tokenizer = tokenizers.get(preset)!;
      for (const text of TEXTS) {
        expect(tokenizer.encode(text, { addBos: true }), `${preset}: ${JSON.stringify(text.slice(0, 40))}`).toEqual(wholeTextSpm(vocab, text, true));
      }
    }
  });

  it("encodeInSlices gives encode's ids for every tokenizer kind, with and without special tokens", async () => {
    for (const preset of PRESETS) {
      const tokenizer = tokenizers.get(preset)!;
      for (const text of TEXTS) {
        for (const parseSpecial of [false, true]) {
          const sliced = await tokenizer.encodeInSlices(text, { parseSpecial, addBos: true, sliceMs: 1 });
          expect(sliced, `${preset} special=${parseSpecial}: ${JSON.stringify(text.slice(0, 40))}`).toEqual(tokenizer.encode(text, { parseSpecial, addBos: true }));
        }
      }
    }
  });

  it("gives the event loop turns while it works on a long text", async () => {
    for (const preset of PRESETS) {
      let turns = 0;
      let running = true;
      const tick = () => {
        turns++;
        if (running) setImmediate(tick);
      };
      setImmediate(tick);
      await tokenizers.get(preset)!.encodeInSlices(TEXTS[0], { sliceMs: 1 });
      running = false;
      expect(turns, preset).toBeGreaterThan(5);
    }
  });

  it("stops soon after stopAfter ids with a prefix of the full ids, and stops when aborted", async () => {
    const tokenizer = tokenizers.get("tiny-bpe")!;
    const all = tokenizer.encode(TEXTS[0]);
    const some = await tokenizer.encodeInSlices(TEXTS[0], { stopAfter: 1000 });
    expect(some.length).toBeGreaterThan(1000);
    expect(some.length).toBeLessThan(all.length / 4);
    expect(some).toEqual(all.slice(0, some.length));
    const controller = new AbortController();
    controller.abort(new Error("the client disconnected"));
    await expect(tokenizers.get("tiny")!.encodeInSlices(TEXTS[0], { signal: controller.signal, sliceMs: 0 })).rejects.toThrow("the client disconnected");
  });

  it("maxTokenBytes bounds the token count from below by the byte count", () => {
    for (const preset of PRESETS) {
      const tokenizer = tokenizers.get(preset)!;
      expect(Number.isFinite(tokenizer.maxTokenBytes), preset).toBe(true);
      // Text made of the vocabulary's own longest tokens packs the most bytes into each id.
      const longest = Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.tokenBytes(id))
        .sort((a, b) => b.byteLength - a.byteLength)
        .slice(0, 50)
        .map((bytes) => new TextDecoder().decode(bytes))
        .join("");
      for (const text of [...TEXTS, longest, longest.repeat(20)]) {
        for (const parseSpecial of [false, true]) {
          const count = tokenizer.encode(text, { parseSpecial }).length;
          expect(count, `${preset}: ${JSON.stringify(text.slice(0, 40))}`).toBeGreaterThanOrEqual(Math.ceil(Buffer.byteLength(text) / tokenizer.maxTokenBytes));
        }
      }
    }
  });
});
