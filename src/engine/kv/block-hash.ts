import { createHash } from "node:crypto";

/**
 * The identity of a full KV block for prefix caching: a hash of its parent block's hash, its
 * tokens, and an optional extra key (a cache salt, a LoRA id). Chaining through the parent makes
 * a block's hash stand for the whole prefix up to its end, so two requests share a block only
 * when every token before it is the same too. SHA-256: a collision would silently give a request
 * another request's keys and values, so a fast non-cryptographic hash is not good enough here.
 */
export type BlockHash = string;

export function hashBlock(parent: BlockHash | null, tokens: ArrayLike<number>, start: number, end: number, extra: string | undefined): BlockHash {
  const hash = createHash("sha256");
  hash.update(parent ?? "root");
  hash.update(extra === undefined ? "\u0000" : `\u0001${extra}\u0000`);
  const ids = new Int32Array(end - start);
  for (let i = start; i < end; i++) ids[i - start] = tokens[i];
  hash.update(new Uint8Array(ids.buffer));
  return hash.digest("base64");
}

/**
 * Hashes of the full blocks of `tokens` (length / blockSize of them, rounded down), appended to
 * `hashes` from index hashes.length on: callers keep the array and extend it as tokens arrive.
 * The extra key is mixed into the first block only; the chain carries it to every later one.
 */
export function extendBlockHashes(hashes: BlockHash[], tokens: ArrayLike<number>, length: number, blockSize: number, extra: string | undefined): void {
  const full = Math.floor(length / blockSize);
  for (let block = hashes.length; block < full; block++) {
    const parent = block === 0 ? null : hashes[block - 1];
    hashes.push(hashBlock(parent, tokens, block * blockSize, (block + 1) * blockSize, block === 0 ? extra : undefined));
  }
}
