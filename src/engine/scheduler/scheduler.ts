import { extendBlockHashes, type KvBlockPool } from "../kv/index.js";
import type { SchedulerRequest } from "./request.js";

export interface SchedulerOptions {
  /** Most tokens computed in one step, over every request (chunked prefill splits prompts to fit). */
  maxBatchedTokens: number;
  /** Most requests running at once (holding KV blocks). */
  maxSeqs: number;
  /** Reuse the KV blocks of earlier requests with the same prefix. */
  prefixCaching: boolean;
}

/** One request's share of a step: tokens start .. start + count - 1 of its sequence. */
export interface ScheduledChunk {
  request: SchedulerRequest;
  /** First position computed: the request's `computed` when scheduled. */
  start: number;
  count: number;
  /** The chunk reaches the end of the sequence, so its last token's logits are sampled. */
  sample: boolean;
  /** The request was (re)admitted from the waiting queue in this step. */
  admitted: boolean;
}

export interface SchedulerCounters {
  /** Requests preempted so far (prefix-cache lookups and hits are per request: `cachedTokens`). */
  preemptions: number;
}

/**
 * The one rule of vLLM v1: each step gives each request tokens toward computed == length, under
 * a token budget and a sequence limit. Prefill, chunked prefill, decode and mixed batches all
 * follow from it.
 *
 *   1. Running requests first, in admission order. When the pool has no block for one, preempt
 *      the most recently admitted running request (release its blocks, back to the front of the
 *      waiting queue; it recomputes later, mostly from the prefix cache) and try again.
 *   2. Then waiting requests, by priority then arrival, while budget, sequence slots and blocks
 *      last, unless something was preempted in this step. A new request first takes every cached
 *      block of its prefix; at least one token is always left to compute, for its logits.
 *
 * The scheduler owns the running and waiting lists and every block reference requests hold.
 */
export class Scheduler {
  private readonly pool: KvBlockPool;
  private readonly options: SchedulerOptions;
  private readonly waiting: SchedulerRequest[] = [];
  private readonly running: SchedulerRequest[] = [];
  readonly counters: SchedulerCounters = { preemptions: 0 };

  constructor(pool: KvBlockPool, options: SchedulerOptions) {
    this.pool = pool;
    this.options = options;
  }

  get runningCount(): number {
    return this.running.length;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get idle(): boolean {
    return this.running.length === 0 && this.waiting.length === 0;
  }

  add(request: SchedulerRequest): void {
    request.status = "waiting";
    let at = this.waiting.length;
    while (at > 0 && this.waiting[at - 1].priority > request.priority) at--;
    this.waiting.splice(at, 0, request);
  }

  /** Removes a request wherever it is and releases its blocks at once (finish, abort, disconnect). */
  finish(request: SchedulerRequest): void {
    if (request.status === "finished") return;
    const list = request.status === "running" ? this.running : this.waiting;
    const index = list.indexOf(request);
    if (index >= 0) list.splice(index, 1);
    this.releaseBlocks(request);
    request.status = "finished";
  }

  /** Plans the next step; empty when there is nothing to do. */
  schedule(): ScheduledChunk[] {
    const chunks: ScheduledChunk[] = [];
    let budget = this.options.maxBatchedTokens;
    let preempted = false;

    for (let i = 0; i < this.running.length && budget > 0; ) {
      const request = this.running[i];
      const count = Math.min(request.remaining, budget);
      if (this.grow(request, request.computed + count)) {
        chunks.push({ request, start: request.computed, count, sample: count === request.remaining, admitted: false });
        budget -= count;
        i++;
        continue;
      }
      // No block: the latest admitted request gives its blocks up (possibly this one).
      const victim = this.running.pop() as SchedulerRequest;
      this.preempt(victim);
      preempted = true;
      if (victim === request) break;
    }

    while (!preempted && budget > 0 && this.waiting.length > 0 && this.running.length < this.options.maxSeqs) {
      const request = this.waiting[0];
      const cachedBlocks = this.takeCachedPrefix(request);
      const count = Math.min(request.remaining, budget);
      if (!this.grow(request, request.computed + count)) {
        this.releaseBlocks(request);
        break;
      }
      this.waiting.shift();
      request.status = "running";
      this.running.push(request);
      request.cachedTokens = Math.min(cachedBlocks * this.pool.blockSize, request.promptLength);
      chunks.push({ request, start: request.computed, count, sample: count === request.remaining, admitted: true });
      budget -= count;
    }
    return chunks;
  }

  /**
   * Marks a step's chunks computed (their keys and values are in the pool) and, with prefix
   * caching on, publishes every block that became full so later requests can reuse it.
   */
  complete(chunks: readonly ScheduledChunk[]): void {
    const blockSize = this.pool.blockSize;
    for (const { request, count } of chunks) {
      if (request.status !== "running") continue;
      request.computed += count;
      if (!this.options.prefixCaching) continue;
      const full = Math.floor(request.computed / blockSize);
      if (request.hashes.length < full) extendBlockHashes(request.hashes, request.tokens, request.computed, blockSize, request.cacheSalt);
      for (; request.committedBlocks < full; request.committedBlocks++) {
        this.pool.commit(request.blockTable[request.committedBlocks], request.hashes[request.committedBlocks]);
      }
    }
  }

  /** Holds blocks for positions 0 .. positions - 1; false (holding nothing new) when the pool is short. */
  private grow(request: SchedulerRequest, positions: number): boolean {
    const needed = Math.ceil(positions / this.pool.blockSize) - request.blockCount;
    if (needed <= 0) return true;
    if (needed > this.pool.freeBlocks) return false;
    for (let i = 0; i < needed; i++) request.blockTable[request.blockCount++] = this.pool.allocate() as number;
    return true;
  }

  /**
   * Takes the cached blocks of the request's longest cached prefix into its table and counts
   * them computed; returns how many. Leaves at least the last token to compute.
   */
  private takeCachedPrefix(request: SchedulerRequest): number {
    if (!this.options.prefixCaching || request.computed > 0) return 0;
    const blockSize = this.pool.blockSize;
    extendBlockHashes(request.hashes, request.tokens, request.length - 1, blockSize, request.cacheSalt);
    const usable = Math.floor((request.length - 1) / blockSize);
    let blocks = 0;
    for (; blocks < usable; blocks++) {
      const block = this.pool.lookup(request.hashes[blocks]);
      if (block === null) break;
      this.pool.acquire(block);
      request.blockTable[request.blockCount++] = block;
    }
    request.computed = blocks * blockSize;
    request.committedBlocks = blocks;
    return blocks;
  }

  private preempt(request: SchedulerRequest): void {
    this.releaseBlocks(request);
    request.status = "waiting";
    request.preemptions++;
    this.counters.preemptions++;
    this.waiting.unshift(request);
  }

  /** Releases the request's blocks, last first, so a shared prefix outlives its tails in the cache. */
  private releaseBlocks(request: SchedulerRequest): void {
    for (let i = request.blockCount - 1; i >= 0; i--) this.pool.release(request.blockTable[i]);
    request.blockCount = 0;
    request.committedBlocks = 0;
    request.computed = 0;
  }
}
