/**
 * Byte-pair-encoding trainer over a table of word counts: repeatedly merges the most frequent
 * adjacent pair of symbols (ties: the pair whose symbol ids are smaller), the classic algorithm of
 * Sennrich et al. Pair counts are kept incrementally with a lazy max-heap, so 32000 merges take
 * about a second.
 */
export interface BpeTraining {
  /** Merges in rank order: [left, right] symbol strings. */
  merges: Array<[string, string]>;
  /** Tokens created by merges, in creation order (no duplicates, none in the alphabet). */
  tokens: string[];
}

const PAIR_SHIFT = 2 ** 21;

export function trainBpe(words: Map<string, number>, alphabet: string[], newTokenTarget: number): BpeTraining {
  const symbolText: string[] = [...alphabet];
  const symbolId = new Map<string, number>(alphabet.map((text, id) => [text, id]));
  const wordSymbols: Int32Array[] = [];
  const wordLength: number[] = [];
  const wordCount: number[] = [];
  for (const [word, count] of words) {
    const chars = Array.from(word);
    const symbols = new Int32Array(chars.length);
    let usable = true;
    for (let i = 0; i < chars.length; i++) {
      const id = symbolId.get(chars[i]);
      if (id === undefined) {
        usable = false;
        break;
      }
      symbols[i] = id;
    }
    if (!usable || chars.length < 2) continue;
    wordSymbols.push(symbols);
    wordLength.push(chars.length);
    wordCount.push(count);
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const heap = new PairHeap();
  const addPair = (key: number, delta: number, word: number) => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + delta);
    if (delta > 0) {
      let list = pairWords.get(key);
      if (!list) pairWords.set(key, (list = []));
      if (list[list.length - 1] !== word) list.push(word);
    }
  };
  for (let w = 0; w < wordSymbols.length; w++) {
    const symbols = wordSymbols[w];
    for (let i = 0; i + 1 < wordLength[w]; i++) addPair(symbols[i] * PAIR_SHIFT + symbols[i + 1], wordCount[w], w);
  }
  for (const [key, count] of pairCount) heap.push(count, key);

  const merges: Array<[string, string]> = [];
  const tokens: string[] = [];
  const visited = new Int32Array(wordSymbols.length).fill(-1);
  while (tokens.length < newTokenTarget && heap.size > 0) {
    const [stored, key] = heap.pop();
    const current = pairCount.get(key) ?? 0;
    if (current !== stored) {
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (current <= 0) continue;
    const left = Math.floor(key / PAIR_SHIFT);
    const right = key % PAIR_SHIFT;
    const text = symbolText[left] + symbolText[right];
    let merged = symbolId.get(text);
    if (merged === undefined) {
      merged = symbolText.length;
      symbolText.push(text);
      symbolId.set(text, merged);
      tokens.push(text);
    }
    merges.push([symbolText[left], symbolText[right]]);
    const touched = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      if (visited[w] === merges.length) continue;
      visited[w] = merges.length;
      const symbols = wordSymbols[w];
      const length = wordLength[w];
      const count = wordCount[w];
      let found = false;
      for (let i = 0; i + 1 < length; i++) if (symbols[i] === left && symbols[i + 1] === right) found = true;
      if (!found) continue;
      for (let i = 0; i + 1 < length; i++) addPair(symbols[i] * PAIR_SHIFT + symbols[i + 1], -count, w);
      let out = 0;
      for (let i = 0; i < length; i++) {
        if (i + 1 < length && symbols[i] === left && symbols[i + 1] === right) {
          symbols[out++] = merged;
          i++;
        } else {
          symbols[out++] = symbols[i];
        }
      }
      wordLength[w] = out;
      for (let i = 0; i + 1 < out; i++) {
        const pair = symbols[i] * PAIR_SHIFT + symbols[i + 1];
        addPair(pair, count, w);
        if (symbols[i] === merged || symbols[i + 1] === merged) touched.add(pair);
      }
    }
    pairCount.delete(key);
    // Only pairs containing the new symbol can have grown; all others only shrank (handled lazily).
    for (const pair of touched) heap.push(pairCount.get(pair) ?? 0, pair);
  }
  return { merges, tokens };
}

/** Max-heap of (count, pair key); ties pop the smaller key first. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private above(a: number, b: number): boolean {
    return this.counts[a] > this.counts[b] || (this.counts[a] === this.counts[b] && this.keys[a] < this.keys[b]);
  }

  private swap(a: number, b: number): void {
    [this.counts[a], this.counts[b]] = [this.counts[b], this.counts[a]];
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastCount = this.counts.pop() as number;
    const lastKey = this.keys.pop() as number;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.above(l, best)) best = l;
        if (r < this.counts.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}
