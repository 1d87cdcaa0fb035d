import { BigramHeap } from "./heap.js";

/**
 * The symbol-merging loop shared by the SentencePiece (llama) and BPE (gpt2) tokenizers, as
 * llama.cpp runs it: symbols start as single code points in a linked list; the best adjacent pair
 * (by `priority`) is merged until none is left. A queued pair is stale, and skipped, when either
 * side was merged away or changed length (symbols only grow, so lengths identify them).
 *
 * `priority(text, start, middle, end)` rates merging text[start, middle) with text[middle, end);
 * undefined means the pair cannot merge. Returns the final symbols as strings, in order.
 */
export type PairPriority = (text: string, start: number, middle: number, end: number) => number | undefined;

export function mergeSymbols(text: string, priority: PairPriority): string[] {
  const symbols: string[] = [];
  const steps = mergeSymbolSteps(text, priority, symbols);
  while (!steps.next().done);
  return symbols;
}

/** Heap pops between two pauses of mergeSymbolSteps: well under a millisecond of work. */
const POPS_PER_PAUSE = 8192;

/**
 * mergeSymbols as steps: the same loop, pausing (a bare `yield`) every few thousand merges so a
 * caller can give the event loop a turn during one huge word; appends the symbols to `symbols`.
 */
export function* mergeSymbolSteps(text: string, priority: PairPriority, symbols: string[]): Generator<void, void, void> {
  const starts: number[] = [];
  for (let offset = 0; offset < text.length; ) {
    starts.push(offset);
    offset += text.codePointAt(offset)! > 0xffff ? 2 : 1;
  }
  const count = starts.length;
  if (count === 0) return;
  // Symbol i covers text[start[i], start[i] + length[i]); length 0 = merged into its left neighbour.
  const start = new Int32Array(count);
  const length = new Int32Array(count);
  const prev = new Int32Array(count);
  const next = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    start[i] = starts[i];
    length[i] = (i + 1 < count ? starts[i + 1] : text.length) - starts[i];
    prev[i] = i - 1;
    next[i] = i + 1 < count ? i + 1 : -1;
  }
  const heap = new BigramHeap();
  const tryPair = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const middle = start[left] + length[left];
    const value = priority(text, start[left], middle, middle + length[right]);
    if (value !== undefined) heap.push(value, left, right, length[left] + length[right]);
  };
  for (let i = 1; i < count; i++) tryPair(i - 1, i);
  let pops = 0;
  while (heap.length > 0) {
    if (++pops === POPS_PER_PAUSE) {
      pops = 0;
      yield;
    }
    const left = heap.topLeft;
    const right = heap.topRight;
    const size = heap.topSize;
    heap.pop();
    if (length[left] === 0 || length[right] === 0 || length[left] + length[right] !== size) continue;
    length[left] += length[right];
    length[right] = 0;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    tryPair(prev[left], left);
    tryPair(left, next[left]);
  }
  for (let i = 0; i !== -1; i = next[i]) symbols.push(text.slice(start[i], start[i] + length[i]));
}
