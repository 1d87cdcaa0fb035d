import { bytesToUnicodeString } from "./byte-unicode.js";
import { mergeSymbolSteps, mergeSymbols } from "./merge.js";
import type { Vocab } from "./vocab.js";

const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Pre-tokenizers as llama.cpp applies them for tokenizer.ggml.pre: each regex in turn splits every
 * piece left by the previous one into its matches and the text between them.
 */
const PRE_TOKENIZERS: Record<Vocab["preTokenizer"], RegExp[]> = {
  default: [/[\p{P}$+<=>^~|]+/gu, GPT2_SPLIT, /\p{N}+/gu, /[0-9][0-9][0-9]/gu],
  "gpt-2": [GPT2_SPLIT],
  qwen2: [
    /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu,
  ],
  llama3: [
    /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu,
  ],
};

/** Text longer than this (UTF-16 units) is split and merged in pausable steps; shorter text in one go. */
const LONG_TEXT = 4096;
/** Pieces split from one long text between two pauses. */
const PIECES_PER_PAUSE = 512;

/** Splits `text` with patterns[depth], then each piece with the patterns after it, appending the final pieces in order. */
function splitWhole(text: string, patterns: readonly RegExp[], depth: number, out: string[]): void {
  if (depth === patterns.length) {
    out.push(text);
    return;
  }
  let last = 0;
  for (const match of text.matchAll(patterns[depth])) {
    if (match[0] === "") continue;
    if (match.index > last) splitWhole(text.slice(last, match.index), patterns, depth + 1, out);
    splitWhole(match[0], patterns, depth + 1, out);
    last = match.index + match[0].length;
  }
  if (last < text.length) splitWhole(text.slice(last), patterns, depth + 1, out);
}

/**
 * splitWhole as steps for a long text: the same pieces in the same order, pausing every few
 * hundred pieces (the caller empties `out` at each pause). A piece that is itself long is split
 * in steps too, so no single step walks megabytes.
 */
function* splitSteps(text: string, patterns: readonly RegExp[], depth: number, out: string[]): Generator<void, void, void> {
  if (depth === patterns.length) {
    out.push(text);
    return;
  }
  // (A generator per piece would cost more than splitting it: only long pieces get one.)
  let last = 0;
  let pieces = 0;
  for (const match of text.matchAll(patterns[depth])) {
    if (match[0] === "") continue;
    if (match.index > last) {
      const gap = text.slice(last, match.index);
      if (gap.length > LONG_TEXT) yield* splitSteps(gap, patterns, depth + 1, out);
      else splitWhole(gap, patterns, depth + 1, out);
    }
    if (match[0].length > LONG_TEXT) yield* splitSteps(match[0], patterns, depth + 1, out);
    else splitWhole(match[0], patterns, depth + 1, out);
    last = match.index + match[0].length;
    if (++pieces % PIECES_PER_PAUSE === 0) yield;
  }
  if (last < text.length) {
    const rest = text.slice(last);
    if (rest.length > LONG_TEXT) yield* splitSteps(rest, patterns, depth + 1, out);
    else splitWhole(rest, patterns, depth + 1, out);
  }
}

/** Words seen before, with their ids (bounded: cleared when full). */
const WORD_CACHE_LIMIT = 50_000;

export class BpeEncoder {
  private readonly cache = new Map<string, number[]>();
  private readonly rankOf: (source: string, start: number, middle: number, end: number) => number | undefined;

  constructor(private readonly vocab: Vocab) {
    const ranks = vocab.mergeRanks;
    this.rankOf = (source, start, middle, end) => {
      const rank = ranks.get(`${source.slice(start, middle)} ${source.slice(middle, end)}`);
      return rank === undefined ? undefined : -rank;
    };
  }

  /** Byte-level BPE of one text fragment: pre-tokenize, map bytes to characters, merge by rank. */
  encode(fragment: string, output: number[]): void {
    const steps = this.encodeSteps(fragment, output);
    while (!steps.next().done);
  }

  /** encode as steps that pause (yield) every fraction of a millisecond of work; same ids. */
  *encodeSteps(fragment: string, output: number[]): Generator<void, void, void> {
    const patterns = PRE_TOKENIZERS[this.vocab.preTokenizer];
    const pieces: string[] = [];
    if (fragment.length <= LONG_TEXT) {
      splitWhole(fragment, patterns, 0, pieces);
      for (const piece of pieces) this.encodeWord(piece, output);
      return;
    }
    const split = splitSteps(fragment, patterns, 0, pieces);
    for (;;) {
      const done = split.next().done;
      for (const piece of pieces) {
        if (piece.length > LONG_TEXT) yield* this.longWordSteps(piece, output);
        else this.encodeWord(piece, output);
      }
      pieces.length = 0;
      if (done) return;
      yield;
    }
  }

  private encodeWord(word: string, output: number[]): void {
    const cached = this.cache.get(word);
    if (cached) {
      for (const id of cached) output.push(id);
      return;
    }
    const mapped = bytesToUnicodeString(word);
    const whole = this.vocab.ignoreMerges ? this.vocab.ids.get(mapped) : undefined;
    if (whole !== undefined) {
      output.push(whole); // llama3-style vocabularies take a word that is a token as is
      return;
    }
    const ids: number[] = [];
    this.pushSymbols(mergeSymbols(mapped, this.rankOf), ids);
    if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    for (const id of ids) output.push(id);
  }

  /** encodeWord for one huge word (a megabyte of letters or spaces): merged in steps, not cached. */
  private *longWordSteps(word: string, output: number[]): Generator<void, void, void> {
    const mapped = bytesToUnicodeString(word);
    const whole = this.vocab.ignoreMerges ? this.vocab.ids.get(mapped) : undefined;
    if (whole !== undefined) {
      output.push(whole);
      return;
    }
    const symbols: string[] = [];
    yield* mergeSymbolSteps(mapped, this.rankOf, symbols);
    this.pushSymbols(symbols, output);
  }

  private pushSymbols(symbols: readonly string[], output: number[]): void {
    for (const symbol of symbols) {
      const id = this.vocab.ids.get(symbol);
      if (id !== undefined) {
        output.push(id);
        continue;
      }
      // Not a token: llama.cpp looks up each UTF-8 byte of the symbol as a one-byte string, which
      // only an ASCII byte can match; the rest are dropped.
      for (const char of symbol) {
        const byteId = char.charCodeAt(0) < 0x80 ? this.vocab.ids.get(char) : undefined;
        if (byteId !== undefined) output.push(byteId);
      }
    }
  }
}
