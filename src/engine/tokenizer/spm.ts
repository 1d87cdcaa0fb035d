import { mergeSymbols } from "./merge.js";
import type { Vocab } from "./vocab.js";

const encoder = new TextEncoder();

/**
 * llama.cpp's SentencePiece (SPM) tokenization of one text fragment: spaces become "▁", pairs
 * merge by the score of the token they form (highest first), and any symbol left that is not a
 * token falls back to its UTF-8 bytes as <0xNN> tokens.
 */
export function encodeSpm(vocab: Vocab, fragment: string, output: number[]): void {
  const text = fragment.replaceAll(" ", "\u2581");
  const symbols = mergeSymbols(text, (source, start, _middle, end) => {
    const id = vocab.ids.get(source.slice(start, end));
    return id === undefined ? undefined : vocab.scores[id];
  });
  for (const symbol of symbols) {
    const id = vocab.ids.get(symbol);
    if (id !== undefined) {
      output.push(id);
      continue;
    }
    // Only single code points can be missing: every merged symbol is a token by construction.
    for (const byte of encoder.encode(symbol)) output.push(byteToken(vocab, byte));
  }
}

function byteToken(vocab: Vocab, byte: number): number {
  const id =
    vocab.ids.get(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`) ?? vocab.ids.get(String.fromCharCode(byte));
  return id ?? vocab.unk ?? 0;
}
