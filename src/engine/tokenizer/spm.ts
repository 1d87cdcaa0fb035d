import { mergeSymbolSteps, mergeSymbols } from "./merge.js";
import type { Vocab } from "./vocab.js";

const encoder = new TextEncoder();

/** Characters merged per chunk of a long text (the heap of one chunk stays small and cache-warm). */
const CHUNK_CHARS = 2048;
/** Characters scanned for a safe cut between two pauses. */
const SCAN_PER_PAUSE = 65_536;

/**
 * llama.cpp's SentencePiece (SPM) tokenization of one text fragment: spaces become "▁", pairs
 * merge by the score of the token they form (highest first), and any symbol left that is not a
 * token falls back to its UTF-8 bytes as <0xNN> tokens.
 */
export function encodeSpm(vocab: Vocab, fragment: string, output: number[]): void {
  const steps = encodeSpmSteps(vocab, fragment, output);
  while (!steps.next().done);
}

/**
 * encodeSpm as steps that pause (yield) every fraction of a millisecond of work. A long text is
 * merged chunk by chunk, cut only where no token spans the cut: no two adjacent characters there
 * occur together in any token, so no merge could ever join the two sides, and each side merges
 * exactly as it would in the whole text (the heap orders pairs by score, then position, and pairs
 * on one side never change the other). The ids equal the whole-text ones by construction.
 */
export function* encodeSpmSteps(vocab: Vocab, fragment: string, output: number[]): Generator<void, void, void> {
  // Spaces become "▁" chunk by chunk: replacing them in megabytes at once takes seconds.
  const text = fragment;
  const priority = (source: string, start: number, _middle: number, end: number) => {
    const id = vocab.ids.get(source.slice(start, end));
    return id === undefined ? undefined : vocab.scores[id];
  };
  if (text.length <= CHUNK_CHARS) {
    pushSymbols(vocab, mergeSymbols(text.replaceAll(" ", "\u2581"), priority), output);
    return;
  }
  const bigrams = tokenBigrams(vocab);
  const symbols: string[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + CHUNK_CHARS, text.length);
    for (let scanned = 0; end < text.length && !safeCut(text, end, bigrams); end++) {
      if (++scanned % SCAN_PER_PAUSE === 0) yield;
    }
    yield* mergeSymbolSteps(text.slice(start, end).replaceAll(" ", "\u2581"), priority, symbols);
    pushSymbols(vocab, symbols, output);
    symbols.length = 0;
    start = end;
    if (start < text.length) yield;
  }
}

function pushSymbols(vocab: Vocab, symbols: readonly string[], output: number[]): void {
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

/** Whether no token contains the code point before `index` followed by the one at `index` (spaces read as "▁"). */
function safeCut(text: string, index: number, bigrams: ReadonlySet<string>): boolean {
  const code = text.charCodeAt(index);
  if (code >= 0xdc00 && code <= 0xdfff) return false; // inside a surrogate pair
  const before = index >= 2 && isLowSurrogate(text.charCodeAt(index - 1)) && isHighSurrogate(text.charCodeAt(index - 2)) ? index - 2 : index - 1;
  const after = isHighSurrogate(code) && index + 1 < text.length ? index + 2 : index + 1;
  return !bigrams.has(text.slice(before, after).replaceAll(" ", "\u2581"));
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Every pair of adjacent code points in any token's text, per vocabulary (built on first need). */
const bigramsByVocab = new WeakMap<Vocab, Set<string>>();

function tokenBigrams(vocab: Vocab): Set<string> {
  let bigrams = bigramsByVocab.get(vocab);
  if (bigrams) return bigrams;
  bigrams = new Set();
  for (const token of vocab.ids.keys()) {
    const points = Array.from(token);
    for (let i = 1; i < points.length; i++) bigrams.add(points[i - 1] + points[i]);
  }
  bigramsByVocab.set(vocab, bigrams);
  return bigrams;
}

function byteToken(vocab: Vocab, byte: number): number {
  const id =
    vocab.ids.get(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`) ?? vocab.ids.get(String.fromCharCode(byte));
  return id ?? vocab.unk ?? 0;
}
