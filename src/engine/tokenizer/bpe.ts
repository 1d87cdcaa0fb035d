import { bytesToUnicodeString } from "./byte-unicode.js";
import { mergeSymbols } from "./merge.js";
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

function splitPieces(pieces: string[], pattern: RegExp): string[] {
  const out: string[] = [];
  for (const piece of pieces) {
    let last = 0;
    for (const match of piece.matchAll(pattern)) {
      if (match[0] === "") continue;
      if (match.index > last) out.push(piece.slice(last, match.index));
      out.push(match[0]);
      last = match.index + match[0].length;
    }
    if (last < piece.length) out.push(piece.slice(last));
  }
  return out;
}

/** Words seen before, with their ids (bounded: cleared when full). */
const WORD_CACHE_LIMIT = 50_000;

export class BpeEncoder {
  private readonly cache = new Map<string, number[]>();

  constructor(private readonly vocab: Vocab) {}

  /** Byte-level BPE of one text fragment: pre-tokenize, map bytes to characters, merge by rank. */
  encode(fragment: string, output: number[]): void {
    let pieces = [fragment];
    for (const pattern of PRE_TOKENIZERS[this.vocab.preTokenizer]) pieces = splitPieces(pieces, pattern);
    for (const piece of pieces) this.encodeWord(piece, output);
  }

  private encodeWord(word: string, output: number[]): void {
    const cached = this.cache.get(word);
    if (cached) {
      for (const id of cached) output.push(id);
      return;
    }
    const ids: number[] = [];
    const mapped = bytesToUnicodeString(word);
    const whole = this.vocab.ignoreMerges ? this.vocab.ids.get(mapped) : undefined;
    if (whole !== undefined) {
      output.push(whole); // llama3-style vocabularies take a word that is a token as is
      return;
    }
    const ranks = this.vocab.mergeRanks;
    const symbols = mergeSymbols(mapped, (source, start, middle, end) => {
      const rank = ranks.get(`${source.slice(start, middle)} ${source.slice(middle, end)}`);
      return rank === undefined ? undefined : -rank;
    });
    for (const symbol of symbols) {
      const id = this.vocab.ids.get(symbol);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      // Not a token: llama.cpp looks up each UTF-8 byte of the symbol as a one-byte string, which
      // only an ASCII byte can match; the rest are dropped.
      for (const char of symbol) {
        const byteId = char.charCodeAt(0) < 0x80 ? this.vocab.ids.get(char) : undefined;
        if (byteId !== undefined) ids.push(byteId);
      }
    }
    if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    for (const id of ids) output.push(id);
  }
}
