import type { BlockHash } from "./block-hash.js";
import { KvCacheError } from "./errors.js";

export interface KvBlockPoolOptions {
  nLayers: number;
  /** nKvHeads * headDim: floats per token per layer, for keys and again for values. */
  kvDim: number;
  /** Blocks in the pool (all allocated at once, up front). */
  blocks: number;
  /** Tokens per block. */
  blockSize: number;
}

const NONE = -1;

/**
 * One pool of fixed-size KV blocks shared by every request, the only owner of KV memory.
 *
 * Storage, per layer, keys and values alike: (blocks * blockSize, kvDim) f32 rows; block b holds
 * physical rows b * blockSize .. (b + 1) * blockSize - 1. A request's block table maps its
 * logical positions to blocks:
 *
 *   logical positions  0 ........ 15 | 16 ....... 31 | 32 .. 37
 *   block table        [      7      ,       2       ,    11   ]
 *   physical row of position p = table[p / blockSize] * blockSize + p % blockSize
 *
 * Every block is in exactly one of two states:
 *   in use   refCount > 0 (held by that many requests; shared prefix blocks have several)
 *   free     refCount == 0, on the free list, oldest release first. A free block that still has
 *            a hash keeps its contents and can be taken back by a request with the same prefix
 *            (`lookup` + `acquire`) until `allocate` reuses it for something else (eviction).
 * `byHash` maps a hash to the one block holding that content; a block's hash is set once it is
 * full (`commit`) and cleared when it is evicted.
 */
export class KvBlockPool {
  readonly blockSize: number;
  readonly blocks: number;
  readonly kvDim: number;
  /** keys[l]: layer l's (blocks * blockSize, kvDim) rows. */
  readonly keys: Float32Array[];
  readonly values: Float32Array[];
  private readonly refCount: Int32Array;
  private readonly hashOf: (BlockHash | null)[];
  private readonly byHash = new Map<BlockHash, number>();
  // The free list: doubly linked through prev/next, head evicted first.
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly onFreeList: Uint8Array;
  private head = NONE;
  private tail = NONE;
  private freeCount = 0;
  private evictionCount = 0;

  constructor(options: KvBlockPoolOptions) {
    const { nLayers, kvDim, blocks, blockSize } = options;
    if (!Number.isInteger(blocks) || blocks < 1) throw new KvCacheError(`a KV pool needs at least one block, got ${blocks}`, { blocks });
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new KvCacheError(`the KV block size must be a positive integer, got ${blockSize}`, { blockSize });
    this.blockSize = blockSize;
    this.blocks = blocks;
    this.kvDim = kvDim;
    const layerSize = blocks * blockSize * kvDim;
    const keyStore = new Float32Array(nLayers * layerSize);
    const valueStore = new Float32Array(nLayers * layerSize);
    this.keys = [];
    this.values = [];
    for (let l = 0; l < nLayers; l++) {
      this.keys.push(keyStore.subarray(l * layerSize, (l + 1) * layerSize));
      this.values.push(valueStore.subarray(l * layerSize, (l + 1) * layerSize));
    }
    this.refCount = new Int32Array(blocks);
    this.hashOf = new Array<BlockHash | null>(blocks).fill(null);
    this.prev = new Int32Array(blocks);
    this.next = new Int32Array(blocks);
    this.onFreeList = new Uint8Array(blocks);
    for (let block = 0; block < blocks; block++) this.append(block);
  }

  /** Blocks no request holds (cached ones included: they can be evicted at any allocation). */
  get freeBlocks(): number {
    return this.freeCount;
  }

  get usedBlocks(): number {
    return this.blocks - this.freeCount;
  }

  /** Blocks whose content is known by hash, in use or free. */
  get cachedBlocks(): number {
    return this.byHash.size;
  }

  /** Cached blocks whose content was dropped to make room, since the pool was made. */
  get evictions(): number {
    return this.evictionCount;
  }

  /** References held on a block (for tests and invariant checks). */
  references(block: number): number {
    return this.refCount[block];
  }

  /** A block for new content, held once; the least recently freed one, evicting its cached content. Null when none is free. */
  allocate(): number | null {
    const block = this.head;
    if (block === NONE) return null;
    this.unlink(block);
    const hash = this.hashOf[block];
    if (hash !== null) {
      this.byHash.delete(hash);
      this.hashOf[block] = null;
      this.evictionCount++;
    }
    this.refCount[block] = 1;
    return block;
  }

  /** The block holding the content `hash` names, in use or free; null when none does. */
  lookup(hash: BlockHash): number | null {
    return this.byHash.get(hash) ?? null;
  }

  /** Takes one more reference on a block (a cached prefix block joining a request's table). */
  acquire(block: number): void {
    if (this.refCount[block] === 0) this.unlink(block);
    this.refCount[block]++;
  }

  /** Drops one reference; a block nobody holds goes to the back of the free list, keeping its content for lookups. */
  release(block: number): void {
    if (this.refCount[block] <= 0) throw new KvCacheError(`KV block ${block} released more often than it was held`, { block });
    this.refCount[block]--;
    if (this.refCount[block] === 0) this.append(block);
  }

  /**
   * Records that a held, now full block holds the content `hash` names, so later requests can
   * reuse it. When another block already holds that content this one stays anonymous (it is freed
   * and reused like any other).
   */
  commit(block: number, hash: BlockHash): void {
    if (this.hashOf[block] !== null || this.byHash.has(hash)) return;
    this.hashOf[block] = hash;
    this.byHash.set(hash, block);
  }

  private append(block: number): void {
    this.prev[block] = this.tail;
    this.next[block] = NONE;
    if (this.tail === NONE) this.head = block;
    else this.next[this.tail] = block;
    this.tail = block;
    this.onFreeList[block] = 1;
    this.freeCount++;
  }

  private unlink(block: number): void {
    if (this.onFreeList[block] === 0) return;
    const before = this.prev[block];
    const after = this.next[block];
    if (before === NONE) this.head = after;
    else this.next[before] = after;
    if (after === NONE) this.tail = before;
    else this.prev[after] = before;
    this.onFreeList[block] = 0;
    this.freeCount--;
  }
}
