import { describe, expect, it } from "vitest";
import { KvBlockPool } from "../kv/index.js";
import { type ScheduledChunk, Scheduler, type SchedulerOptions, SchedulerRequest } from "./index.js";

const BLOCK = 16;

function setup(blocks: number, options: Partial<SchedulerOptions> = {}) {
  const pool = new KvBlockPool({ nLayers: 1, kvDim: 2, blocks, blockSize: BLOCK });
  const scheduler = new Scheduler(pool, { maxBatchedTokens: 64, maxSeqs: 8, prefixCaching: true, ...options });
  return { pool, scheduler };
}

let nextId = 0;
const request = (prompt: number[], maxNew = 32, options: { cacheSalt?: string; priority?: number } = {}) =>
  new SchedulerRequest(nextId++, prompt, maxNew, BLOCK, options);
const prompt = (length: number, seed = 0) => Array.from({ length }, (_, i) => (i * 7 + seed) % 1000);

/** Plays one engine step: marks the chunks computed and appends a token to every sampled request. */
function step(scheduler: Scheduler): ScheduledChunk[] {
  const chunks = scheduler.schedule();
  scheduler.complete(chunks);
  for (const chunk of chunks) if (chunk.sample) chunk.request.append(5);
  return chunks;
}

describe("Scheduler", () => {
  it("splits a long prompt over steps by the token budget and samples only after its last chunk", () => {
    const { scheduler } = setup(64, { maxBatchedTokens: 32 });
    const long = request(prompt(100));
    scheduler.add(long);
    const counts: number[] = [];
    const samples: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const [chunk] = step(scheduler);
      counts.push(chunk.count);
      samples.push(chunk.sample);
    }
    expect(counts).toEqual([32, 32, 32, 4, 1]);
    expect(samples).toEqual([false, false, false, true, true]);
    expect(long.computed).toBe(101);
  });

  it("gives running requests one decode token each and fills the rest of the budget with a new prompt (a mixed batch)", () => {
    const { scheduler } = setup(64, { maxBatchedTokens: 20 });
    const first = request(prompt(8, 1));
    const second = request(prompt(8, 2));
    scheduler.add(first);
    scheduler.add(second);
    expect(step(scheduler).map((chunk) => chunk.count)).toEqual([8, 8]);
    const third = request(prompt(40, 3));
    scheduler.add(third);
    const chunks = step(scheduler);
    expect(chunks.map((chunk) => [chunk.request.id, chunk.count])).toEqual([
      [first.id, 1],
      [second.id, 1],
      [third.id, 18],
    ]);
  });

  it("runs at most maxSeqs requests; the others wait their turn", () => {
    const { scheduler } = setup(64, { maxSeqs: 2 });
    const requests = [request(prompt(4, 1), 2), request(prompt(4, 2), 2), request(prompt(4, 3), 2)];
    for (const each of requests) scheduler.add(each);
    expect(step(scheduler)).toHaveLength(2);
    expect(scheduler.waitingCount).toBe(1);
    step(scheduler);
    for (const each of requests.slice(0, 2)) scheduler.finish(each);
    expect(step(scheduler).map((chunk) => chunk.request.id)).toEqual([requests[2].id]);
  });

  it("reuses the cached full blocks of a shared prefix and computes only the rest", () => {
    const { pool, scheduler } = setup(64);
    const shared = prompt(40);
    const first = request([...shared, 1, 2, 3]);
    scheduler.add(first);
    step(scheduler);
    scheduler.finish(first);
    const second = request([...shared, 9, 9]);
    scheduler.add(second);
    const [chunk] = step(scheduler);
    // 40 shared tokens = two full blocks of 16 cached; the third block differs.
    expect(chunk.start).toBe(32);
    expect(chunk.count).toBe(10);
    expect(second.cachedTokens).toBe(32);
    expect(pool.references(second.blockTable[0])).toBe(1);
  });

  it("always leaves the last prompt token to compute, even when the whole prompt is cached", () => {
    const { scheduler } = setup(64);
    const tokens = prompt(32);
    const first = request(tokens);
    scheduler.add(first);
    step(scheduler);
    scheduler.finish(first);
    const again = request(tokens);
    scheduler.add(again);
    const [chunk] = step(scheduler);
    expect(chunk).toMatchObject({ start: 16, count: 16, sample: true });
  });

  it("never shares blocks between different cache salts", () => {
    const { scheduler } = setup(64);
    const tokens = prompt(40);
    const first = request(tokens, 8, { cacheSalt: "tenant-a" });
    scheduler.add(first);
    step(scheduler);
    const second = request(tokens, 8, { cacheSalt: "tenant-b" });
    scheduler.add(second);
    expect(step(scheduler).find((chunk) => chunk.request === second)?.start).toBe(0);
    const third = request(tokens, 8, { cacheSalt: "tenant-a" });
    scheduler.add(third);
    expect(step(scheduler).find((chunk) => chunk.request === third)?.start).toBe(32);
  });

  it("admits waiting requests by priority, then arrival", () => {
    const { scheduler } = setup(64, { maxSeqs: 1 });
    const low = request(prompt(4, 1), 4, { priority: 5 });
    const high = request(prompt(4, 2), 4, { priority: -1 });
    const normal = request(prompt(4, 3), 4);
    for (const each of [low, high, normal]) scheduler.add(each);
    expect(step(scheduler)[0].request).toBe(high);
    scheduler.finish(high);
    expect(step(scheduler)[0].request).toBe(normal);
  });

  it("preempts the most recently admitted request when blocks run out; it recomputes later and every block comes back", () => {
    // 4 blocks of 16 tokens; two requests of 20-token prompts growing to 40 tokens each need 6.
    const { pool, scheduler } = setup(4);
    const first = request(prompt(20, 1), 20);
    const second = request(prompt(20, 2), 20);
    scheduler.add(first);
    scheduler.add(second);
    const done = new Set<SchedulerRequest>();
    for (let i = 0; i < 200 && done.size < 2; i++) {
      step(scheduler);
      for (const each of [first, second]) {
        if (!done.has(each) && each.outputLength >= 20) {
          scheduler.finish(each);
          done.add(each);
        }
      }
    }
    expect(done.size).toBe(2);
    expect(scheduler.counters.preemptions).toBeGreaterThan(0);
    expect(second.preemptions).toBeGreaterThan(0);
    expect(first.preemptions).toBe(0);
    expect(pool.freeBlocks).toBe(4);
    expect(scheduler.idle).toBe(true);
  });

  it("releases a request's blocks at once when it finishes while waiting or running", () => {
    const { pool, scheduler } = setup(8);
    const running = request(prompt(30));
    scheduler.add(running);
    step(scheduler);
    expect(pool.usedBlocks).toBe(2);
    scheduler.finish(running);
    expect(pool.usedBlocks).toBe(0);
    expect(scheduler.idle).toBe(true);
  });
});
