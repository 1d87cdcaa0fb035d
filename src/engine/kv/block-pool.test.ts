import { describe, expect, it } from "vitest";
import { extendBlockHashes, hashBlock, KvBlockPool, KvCacheError } from "./index.js";

const pool = (blocks: number) => new KvBlockPool({ nLayers: 2, kvDim: 4, blocks, blockSize: 4 });

describe("KvBlockPool", () => {
  it("hands out every block once, then null; a released block can be allocated again", () => {
    const kv = pool(3);
    const taken = [kv.allocate(), kv.allocate(), kv.allocate()];
    expect(new Set(taken)).toEqual(new Set([0, 1, 2]));
    expect(kv.allocate()).toBeNull();
    expect(kv.usedBlocks).toBe(3);
    kv.release(taken[1] as number);
    expect(kv.freeBlocks).toBe(1);
    expect(kv.allocate()).toBe(taken[1]);
  });

  it("keeps a released block's content findable by hash until allocation evicts the least recently freed one", () => {
    const kv = pool(2);
    const a = kv.allocate() as number;
    const b = kv.allocate() as number;
    kv.commit(a, "hash-a");
    kv.commit(b, "hash-b");
    kv.release(a);
    kv.release(b);
    expect(kv.cachedBlocks).toBe(2);
    expect(kv.lookup("hash-a")).toBe(a);
    // Reusing a cached block takes it off the free list; it is not evicted while held.
    kv.acquire(a);
    expect(kv.freeBlocks).toBe(1);
    expect(kv.allocate()).toBe(b);
    expect(kv.lookup("hash-b")).toBeNull();
    expect(kv.evictions).toBe(1);
    expect(kv.lookup("hash-a")).toBe(a);
  });

  it("shares a block between holders and frees it only when the last lets go", () => {
    const kv = pool(1);
    const block = kv.allocate() as number;
    kv.acquire(block);
    expect(kv.references(block)).toBe(2);
    kv.release(block);
    expect(kv.freeBlocks).toBe(0);
    kv.release(block);
    expect(kv.freeBlocks).toBe(1);
    expect(() => kv.release(block)).toThrow(KvCacheError);
  });

  it("keeps the first block committed under a hash; a duplicate stays anonymous", () => {
    const kv = pool(2);
    const first = kv.allocate() as number;
    const second = kv.allocate() as number;
    kv.commit(first, "same");
    kv.commit(second, "same");
    expect(kv.lookup("same")).toBe(first);
    expect(kv.cachedBlocks).toBe(1);
  });

  it("rejects a pool without blocks", () => {
    expect(() => pool(0)).toThrow(KvCacheError);
  });
});

describe("block hashes", () => {
  it("name the whole prefix: a block's hash changes with any earlier token, and with the cache salt", () => {
    const tokens = Array.from({ length: 12 }, (_, i) => i + 1);
    const hashes: string[] = [];
    extendBlockHashes(hashes, tokens, 12, 4, undefined);
    expect(hashes).toHaveLength(3);
    const changed = [...tokens];
    changed[0] = 99;
    const other: string[] = [];
    extendBlockHashes(other, changed, 12, 4, undefined);
    expect(other[2]).not.toBe(hashes[2]);
    const salted: string[] = [];
    extendBlockHashes(salted, tokens, 12, 4, "tenant-a");
    expect(salted.every((hash, i) => hash !== hashes[i])).toBe(true);
    expect(hashBlock(null, tokens, 0, 4, undefined)).toBe(hashes[0]);
  });

  it("extend only the blocks that became full", () => {
    const tokens = Array.from({ length: 10 }, (_, i) => i);
    const hashes: string[] = [];
    extendBlockHashes(hashes, tokens, 7, 4, undefined);
    expect(hashes).toHaveLength(1);
    extendBlockHashes(hashes, tokens, 10, 4, undefined);
    expect(hashes).toHaveLength(2);
  });
});
