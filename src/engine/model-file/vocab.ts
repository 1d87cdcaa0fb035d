import { TokenType, byteToUnicode, bytesToUnicodeString } from "../tokenizer/index.js";
import { trainBpe } from "./bpe-train.js";
import { buildCorpus } from "./corpus.js";

export interface VocabSpec {
  model: "llama" | "gpt2";
  tokens: string[];
  scores: number[];
  types: number[];
  /** gpt2 only: "left right" in rank order. */
  merges: string[];
  bos: number;
  eos: number;
  unk: number | null;
  /** End-of-turn token for chat (ChatML's <|im_end|>), when the vocab has one. */
  eot: number | null;
  addBos: boolean;
}

/** Weight given to words of the running text relative to one generated pseudo-word. */
const TEXT_WEIGHT = 50;
const SPACE = "\u2581";
const GPT2_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
/** GPT-2's pre-tokenizer, as llama.cpp applies it for tokenizer.ggml.pre = "gpt-2". */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const cache = new Map<string, VocabSpec>();

function pseudoWordCount(vocabSize: number): number {
  return Math.max(1000, Math.ceil(vocabSize * 0.8));
}

/**
 * SentencePiece-style vocabulary: <unk>, <s>, </s>, the 256 byte-fallback tokens <0x00>..<0xFF>,
 * BPE-trained pieces scored -rank (what llama.cpp's SPM tokenizer merges by), then the alphabet.
 */
export function buildLlamaVocab(vocabSize: number): VocabSpec {
  const cached = cache.get(`llama:${vocabSize}`);
  if (cached) return cached;
  const corpus = buildCorpus(pseudoWordCount(vocabSize));
  const words = new Map<string, number>();
  const add = (word: string, count: number) => words.set(word, (words.get(word) ?? 0) + count);
  for (const word of corpus.text.split(/\s+/)) if (word) add(SPACE + word, TEXT_WEIGHT);
  for (const run of [2, 3, 4, 8]) add(SPACE.repeat(run), TEXT_WEIGHT * 20);
  for (const [word, count] of corpus.pseudoWords) add(SPACE + word, count);

  const alphabetSet = new Set<string>();
  for (let code = 0x21; code <= 0x7e; code++) alphabetSet.add(String.fromCharCode(code));
  alphabetSet.add(SPACE);
  for (const word of words.keys()) for (const char of word) alphabetSet.add(char);
  const alphabet = [...alphabetSet].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);

  const fixed = ["<unk>", "<s>", "</s>"];
  const bytes = Array.from({ length: 256 }, (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`);
  const target = vocabSize - fixed.length - bytes.length - alphabet.length;
  if (target < 0) throw new Error(`vocab size ${vocabSize} is too small for the ${alphabet.length}-character alphabet`);
  const { tokens: pieces } = trainBpe(words, alphabet, target);
  if (pieces.length < target) throw new Error(`corpus yields only ${pieces.length} of ${target} pieces`);

  const tokens = [...fixed, ...bytes, ...pieces, ...alphabet];
  const scores = [0, 0, 0, ...bytes.map(() => 0), ...pieces.map((_, rank) => -rank), ...alphabet.map((_, i) => -(pieces.length + i))];
  const types = [
    TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL,
    ...bytes.map(() => TokenType.BYTE), ...pieces.map(() => TokenType.NORMAL), ...alphabet.map(() => TokenType.NORMAL),
  ];
  const spec: VocabSpec = { model: "llama", tokens, scores, types, merges: [], bos: 1, eos: 2, unk: 0, eot: null, addBos: true };
  cache.set(`llama:${vocabSize}`, spec);
  return spec;
}

/**
 * Byte-level BPE vocabulary (GPT-2 style): the 256 mapped bytes, BPE-trained tokens with their
 * merges, then the control tokens <|endoftext|>, <|im_start|>, <|im_end|>.
 */
export function buildGpt2Vocab(vocabSize: number): VocabSpec {
  const cached = cache.get(`gpt2:${vocabSize}`);
  if (cached) return cached;
  const corpus = buildCorpus(pseudoWordCount(vocabSize));
  const words = new Map<string, number>();
  const add = (word: string, count: number) => words.set(word, (words.get(word) ?? 0) + count);
  for (const piece of corpus.text.match(GPT2_SPLIT) ?? []) add(bytesToUnicodeString(piece), TEXT_WEIGHT);
  for (const [word, count] of corpus.pseudoWords) add(bytesToUnicodeString(` ${word}`), count);

  const alphabet = Array.from({ length: 256 }, (_, byte) => byteToUnicode(byte));
  const target = vocabSize - alphabet.length - GPT2_SPECIALS.length;
  if (target < 0) throw new Error(`vocab size ${vocabSize} is too small for byte-level BPE`);
  const { tokens: merged, merges } = trainBpe(words, alphabet, target);
  if (merged.length < target) throw new Error(`corpus yields only ${merged.length} of ${target} tokens`);

  const tokens = [...alphabet, ...merged, ...GPT2_SPECIALS];
  const types = tokens.map((_, id) => (id >= alphabet.length + merged.length ? TokenType.CONTROL : TokenType.NORMAL));
  const endOfText = alphabet.length + merged.length;
  const spec: VocabSpec = {
    model: "gpt2",
    tokens,
    scores: [],
    types,
    merges: merges.map(([left, right]) => `${left} ${right}`),
    bos: endOfText,
    eos: endOfText + 2,
    unk: null,
    eot: endOfText + 2,
    addBos: false,
  };
  cache.set(`gpt2:${vocabSize}`, spec);
  return spec;
}
