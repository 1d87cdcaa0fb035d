import type { BlockHash } from "../kv/index.js";

export type RequestStatus = "waiting" | "running" | "finished";

/**
 * One sequence the scheduler drives toward `computed == tokens.length` (vLLM v1's single rule):
 * `tokens` is the prompt followed by every sampled token, `computed` counts the leading tokens
 * whose keys and values are in the KV pool. While decoding, computed == length - 1: the last
 * sampled token goes through the model in the next step.
 *
 * Invariants: blockTable[0 .. blockCount) covers positions 0 .. computed (rounded up to a block);
 * hashes[i] names full block i of tokens (computed lazily, only with prefix caching on); a
 * waiting request holds no blocks.
 */
export class SchedulerRequest {
  readonly id: number;
  readonly promptLength: number;
  /** Extra key mixed into the prefix hashes: requests with different salts never share blocks. */
  readonly cacheSalt: string | undefined;
  /** Lower runs first among waiting requests (then arrival); preemption picks the latest admitted. */
  readonly priority: number;
  readonly tokens: Int32Array;
  length: number;
  computed = 0;
  readonly blockTable: Int32Array;
  blockCount = 0;
  readonly hashes: BlockHash[] = [];
  /** Leading blocks of the table already offered to the prefix cache. */
  committedBlocks = 0;
  status: RequestStatus = "waiting";
  /** Prompt tokens found in the prefix cache at the last admission. */
  cachedTokens = 0;
  /** Times this request lost its blocks to make room for others. */
  preemptions = 0;

  constructor(id: number, prompt: ArrayLike<number>, maxNewTokens: number, blockSize: number, options: { cacheSalt?: string; priority?: number } = {}) {
    this.id = id;
    this.promptLength = prompt.length;
    this.cacheSalt = options.cacheSalt;
    this.priority = options.priority ?? 0;
    const capacity = prompt.length + maxNewTokens;
    this.tokens = new Int32Array(capacity);
    this.tokens.set(Array.from(prompt));
    this.length = prompt.length;
    this.blockTable = new Int32Array(Math.ceil(capacity / blockSize));
  }

  /** Tokens sampled so far. */
  get outputLength(): number {
    return this.length - this.promptLength;
  }

  /** Tokens not yet computed; a step that computes all of them yields logits to sample from. */
  get remaining(): number {
    return this.length - this.computed;
  }

  append(token: number): void {
    this.tokens[this.length++] = token;
  }
}
