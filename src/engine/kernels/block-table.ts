import { KernelError } from "./errors.js";

/**
 * The paged KV layout every attention kernel reads. keys and values are pools of physical rows of
 * kvDim = nKvHeads * headDim floats; a block is blockSize consecutive rows, and logical cache
 * position p of a sequence lives in row
 *
 *   blockTable[floor(p / blockSize)] * blockSize + p % blockSize
 *
 *   logical positions   0 1 2 3 | 4 5 6 7 | 8 9          blockSize = 4, 10 positions
 *   blockTable          [   2   ,    0    ,  5  ]
 *   physical rows       8 9 10 11 0 1 2 3   20 21
 *
 * A contiguous cache of maxTokens rows is the one-block table [0] with blockSize = maxTokens.
 */

/**
 * Throws a KernelError unless the blocks that positions 0 .. length - 1 occupy all lie inside
 * pools of `rows` rows. The native addon makes the same check in C++ (native/addon.cc).
 */
export function checkBlockTable(blockTable: Int32Array, blockSize: number, length: number, rows: number): void {
  if (!(blockSize >= 1) || !Number.isInteger(blockSize)) throw new KernelError(`blockSize must be a positive integer, got ${blockSize}`, { blockSize });
  const blocks = Math.ceil(length / blockSize);
  if (blocks > blockTable.length) {
    throw new KernelError(`block table has ${blockTable.length} entries, position + n = ${length} needs ${blocks}`, { blockSize, length });
  }
  for (let b = 0; b < blocks; b++) {
    const used = Math.min(blockSize, length - b * blockSize);
    const entry = blockTable[b];
    if (entry < 0 || entry * blockSize + used > rows) {
      throw new KernelError(`block table entry ${b} (${entry}) addresses rows outside keys/values (${rows} rows)`, { entry, blockSize, rows });
    }
  }
}
