import { describe, expect, it } from "vitest";
import { Prng, Sampler, SamplingOptionsError, type SamplingOptions } from "./index.js";

/** Logits whose softmax is exactly `probabilities`. */
function logitsOf(probabilities: number[]): Float32Array {
  return Float32Array.from(probabilities, (p) => Math.log(p));
}

function histogram(options: SamplingOptions, logits: Float32Array, draws: number): number[] {
  const sampler = new Sampler(logits.length, options);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampler.sample(logits)]++;
  return counts;
}

function drawnSet(options: SamplingOptions, logits: Float32Array, draws: number): Set<number> {
  const sampler = new Sampler(logits.length, options);
  const tokens = new Set<number>();
  for (let i = 0; i < draws; i++) tokens.add(sampler.sample(logits));
  return tokens;
}

describe("Prng", () => {
  it("gives the same stream for the same seed and unrelated streams for neighbouring seeds", () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const streamA = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(streamA);
    const streamC = Array.from({ length: 8 }, () => c.nextUint32());
    expect(streamC.filter((value, i) => value === streamA[i])).toHaveLength(0);
  });

  it("draws floats uniformly in [0, 1)", () => {
    const prng = new Prng(7);
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const value = prng.nextFloat();
      if (value < 0 || value >= 1) outside++;
      else buckets[Math.floor(value * 10)]++;
    }
    expect(outside).toBe(0);
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

describe("Sampler", () => {
  it("temperature 0 is greedy: picks the largest logit, the lowest id on ties", () => {
    const sampler = new Sampler(5, { temperature: 0 });
    expect(sampler.sample(Float32Array.from([0.1, 3, -1, 3, 2]))).toBe(1);
    expect(sampler.sample(Float32Array.from([5, 3, -1, 3, 2]))).toBe(0);
  });

  it("same seed gives the same tokens; another seed gives other tokens", () => {
    const logits = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i) * 2);
    const run = (seed: number) => {
      const sampler = new Sampler(100, { seed, temperature: 1.2 });
      return Array.from({ length: 50 }, () => sampler.sample(logits));
    };
    expect(run(1234)).toEqual(run(1234));
    expect(run(1235)).not.toEqual(run(1234));
  });

  it("temperature 1 draws tokens with their softmax probabilities", () => {
    const probabilities = [0.5, 0.25, 0.15, 0.1];
    const counts = histogram({ seed: 1 }, logitsOf(probabilities), 40_000);
    probabilities.forEach((p, token) => expect(Math.abs(counts[token] / 40_000 - p)).toBeLessThan(0.01));
  });

  it("temperature 0.5 sharpens the distribution to softmax(logits / 0.5)", () => {
    const probabilities = [0.5, 0.25, 0.15, 0.1];
    const squared = probabilities.map((p) => p * p);
    const sum = squared.reduce((a, b) => a + b, 0);
    const counts = histogram({ seed: 2, temperature: 0.5 }, logitsOf(probabilities), 40_000);
    squared.forEach((q, token) => expect(Math.abs(counts[token] / 40_000 - q / sum)).toBeLessThan(0.01));
  });

  it("top-k keeps only the k most likely tokens, renormalized", () => {
    const probabilities = [0.1, 0.4, 0.05, 0.3, 0.15];
    const counts = histogram({ seed: 3, topK: 2 }, logitsOf(probabilities), 30_000);
    expect(counts[0] + counts[2] + counts[4]).toBe(0);
    expect(Math.abs(counts[1] / 30_000 - 0.4 / 0.7)).toBeLessThan(0.015);
  });

  it("top-p keeps the smallest set whose mass reaches p", () => {
    const logits = logitsOf([0.05, 0.5, 0.15, 0.3]);
    expect(drawnSet({ seed: 4, topP: 0.75 }, logits, 5_000)).toEqual(new Set([1, 3]));
    expect(drawnSet({ seed: 4, topP: 0.85 }, logits, 5_000)).toEqual(new Set([1, 3, 2]));
    expect(drawnSet({ seed: 4, topP: 0.3 }, logits, 1_000)).toEqual(new Set([1]));
  });

  it("top-p on a large vocabulary keeps exactly the brute-force nucleus", () => {
    const vocab = 4000;
    const prng = new Prng(99);
    const logits = Float32Array.from({ length: vocab }, () => prng.nextFloat() * 3);
    const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
    const weights = order.map((id) => Math.exp(logits[id]));
    const total = weights.reduce((a, b) => a + b, 0);
    let mass = 0;
    let size = 0;
    while (mass < 0.5 * total) mass += weights[size++];
    const nucleus = new Set(order.slice(0, size));
    const drawn = drawnSet({ seed: 5, topP: 0.5 }, logits, 20_000);
    for (const token of drawn) expect(nucleus.has(token)).toBe(true);
    expect(drawn.size).toBeGreaterThan(size * 0.9);
    expect(size).toBeGreaterThan(100);
  });

  it("min-p drops tokens below min-p times the most likely token's probability", () => {
    const logits = logitsOf([0.4, 0.3, 0.19, 0.11]);
    expect(drawnSet({ seed: 6, minP: 0.5 }, logits, 5_000)).toEqual(new Set([0, 1]));
    expect(drawnSet({ seed: 6, minP: 0.3 }, logits, 5_000)).toEqual(new Set([0, 1, 2]));
  });

  it("logit bias of +100 forces a token and -100 bans one", () => {
    const logits = logitsOf([0.7, 0.2, 0.1]);
    expect(drawnSet({ seed: 7, logitBias: { 2: 100 } }, logits, 500)).toEqual(new Set([2]));
    expect(drawnSet({ seed: 7, logitBias: new Map([[0, -100]]) }, logits, 2_000)).toEqual(new Set([1, 2]));
  });

  it("repetition penalty divides positive logits and multiplies negative ones of seen tokens", () => {
    const sampler = new Sampler(4, { temperature: 0, repetitionPenalty: 2 });
    sampler.acceptPrompt([0]);
    sampler.accept(1);
    sampler.sample(Float32Array.from([4, -3, 1, -1]));
    expect(Array.from(sampler.processedLogits())).toEqual([2, -6, 1, -1]);
  });

  it("presence and frequency penalties apply to generated tokens only, by count", () => {
    const sampler = new Sampler(4, { temperature: 0, presencePenalty: 0.5, frequencyPenalty: 0.25 });
    sampler.acceptPrompt([3]);
    sampler.accept(0);
    sampler.accept(0);
    sampler.accept(1);
    sampler.sample(Float32Array.from([1, 1, 1, 1]));
    expect(Array.from(sampler.processedLogits())).toEqual([0, 0.25, 1, 1]);
  });

  it("greedy decoding avoids a repeated token once the penalty makes another more likely", () => {
    const sampler = new Sampler(3, { temperature: 0, frequencyPenalty: 1 });
    const logits = Float32Array.from([2, 1.5, 0]);
    const tokens: number[] = [];
    for (let i = 0; i < 4; i++) {
      const token = sampler.sample(logits);
      sampler.accept(token);
      tokens.push(token);
    }
    expect(tokens).toEqual([0, 1, 0, 1]);
  });

  it("reports logprobs as the log-softmax of the processed logits, with sorted top alternatives", () => {
    const logits = Float32Array.from([1, 3, 2, 0.5, 2.5]);
    const sampler = new Sampler(5, { temperature: 0, logitBias: { 3: 4 } });
    const token = sampler.sample(logits);
    expect(token).toBe(3);
    const processed = [1, 3, 2, 4.5, 2.5];
    const logSum = Math.log(processed.reduce((a, b) => a + Math.exp(b), 0));
    expect(sampler.logprobOf(3)).toBeCloseTo(4.5 - logSum, 5);
    const ids = new Int32Array(3);
    const values = new Float32Array(3);
    expect(sampler.topLogprobs(3, ids, values)).toBe(3);
    expect(Array.from(ids)).toEqual([3, 1, 4]);
    expect(values[1]).toBeCloseTo(3 - logSum, 5);
    expect(sampler.topLogprobs(10, new Int32Array(10), new Float32Array(10))).toBe(5);
  });

  it("greedy with bias and every penalty picks the argmax of the processed logits and leaves the caller's logits unchanged", () => {
    let state = 11;
    const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 8 - 4;
    const bias = new Map([[5, 3], [9, -100], [40, 2.5]]);
    const sampler = new Sampler(64, { temperature: 0, logitBias: bias, repetitionPenalty: 1.3, presencePenalty: 0.4, frequencyPenalty: 0.3 });
    const prompt = [5, 9, 12, 12, 40];
    sampler.acceptPrompt(prompt);
    const seen = new Set(prompt);
    const generated = new Map<number, number>();
    for (let step = 0; step < 60; step++) {
      const logits = Float32Array.from({ length: 64 }, next);
      // Raw maxima on a banned token and on tokens the penalties pull down.
      if (step % 3 === 0) logits[9] = 50;
      if (step % 4 === 0) logits[12] = logits[40] = 4.5;
      // The processed logits by the documented order: bias, repetition penalty, presence/frequency.
      const expected = Float32Array.from(logits);
      for (const [token, value] of bias) expected[token] += value;
      for (const token of seen) expected[token] = expected[token] > 0 ? expected[token] / 1.3 : expected[token] * 1.3;
      for (const [token, count] of generated) expected[token] -= 0.4 + 0.3 * count;
      let best = 0;
      for (let i = 1; i < 64; i++) if (expected[i] > expected[best]) best = i;

      const before = Float32Array.from(logits);
      const token = sampler.sample(logits);
      expect(Array.from(logits)).toEqual(Array.from(before));
      expect(token).toBe(best);
      expect(Array.from(sampler.processedLogits())).toEqual(Array.from(expected));
      sampler.accept(token);
      seen.add(token);
      generated.set(token, (generated.get(token) ?? 0) + 1);
    }
  });

  it("rejects out-of-range options with an error naming the parameter", () => {
    expect(() => new Sampler(10, { temperature: -1 })).toThrow(SamplingOptionsError);
    expect(() => new Sampler(10, { topP: 1.5 })).toThrow(/topP/);
    expect(() => new Sampler(10, { minP: 2 })).toThrow(/minP/);
    expect(() => new Sampler(10, { logitBias: { 10: 1 } })).toThrow(/logitBias/);
    expect(() => new Sampler(10, { presencePenalty: 3 })).toThrow(/presencePenalty/);
  });

  it("top-p on a flat 32000-token vocabulary (the bucket search's worst case) stays inside the nucleus", () => {
    const prng = new Prng(11);
    const logits = Float32Array.from({ length: 32000 }, () => prng.nextFloat() * 8);
    const order = Array.from({ length: 32000 }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
    const weights = order.map((id) => Math.exp(logits[id] / 0.8));
    const total = weights.reduce((a, b) => a + b, 0);
    let mass = 0;
    let size = 0;
    while (mass < 0.95 * total) mass += weights[size++];
    const nucleus = new Set(order.slice(0, size));
    const sampler = new Sampler(32000, { seed: 1, temperature: 0.8, topP: 0.95 });
    for (let i = 0; i < 300; i++) expect(nucleus.has(sampler.sample(logits))).toBe(true);
  });
});
