export { type BlockHash, extendBlockHashes, hashBlock } from "./block-hash.js";
export { KvBlockPool, type KvBlockPoolOptions } from "./block-pool.js";
export { KvCacheError } from "./errors.js";
