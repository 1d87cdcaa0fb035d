import { checkBlockTable } from "./block-table.js";
import { KernelError } from "./errors.js";
import { roundToF16InPlace } from "./formats.js";
import type { KernelSet } from "./kernel-set.js";

/**
 * KernelSet.attendBatch from a set's own rope and attention, one segment at a time (the
 * TypeScript and reference sets; the native set does the same in one call).
 */
export function attendBatchWith(
  kernels: Pick<KernelSet, "rope" | "attention">,
  ...[out, q, k, v, keys, values, batch, shape, scores]: Parameters<KernelSet["attendBatch"]>
): void {
  const { nHeads, nKvHeads, headDim, blockSize, freqBase, style } = shape;
  const qDim = nHeads * headDim;
  const kvDim = nKvHeads * headDim;
  const { segments, tables } = batch;
  // Every table is checked before anything is written, so a bad one leaves the cache as it was.
  const rows = Math.floor(Math.min(keys.length, values.length) / kvDim);
  if (segments.length % 4 !== 0) throw new KernelError("segments holds 4 ints per segment", { length: segments.length });
  for (let s = 0; s < segments.length; s += 4) {
    const [position, count, offset, length] = segments.subarray(s, s + 4);
    if (position < 0 || count < 0) throw new KernelError(`segment ${s / 4} has a negative position or count`, { position, count });
    if (offset < 0 || length < 0 || offset + length > tables.length) throw new KernelError(`segment ${s / 4}'s block table lies outside tables`, { offset, length });
    checkBlockTable(tables.subarray(offset, offset + length), blockSize, position + count, rows);
  }
  let total = 0;
  for (let s = 0; s < segments.length; s += 4) {
    const position = segments[s];
    const count = segments[s + 1];
    kernels.rope(q.subarray(total * qDim, (total + count) * qDim), count, nHeads, headDim, position, freqBase, style);
    kernels.rope(k.subarray(total * kvDim, (total + count) * kvDim), count, nKvHeads, headDim, position, freqBase, style);
    total += count;
  }
  roundToF16InPlace(q, 0, total * qDim);
  roundToF16InPlace(k, 0, total * kvDim);
  roundToF16InPlace(v, 0, total * kvDim);
  for (let s = 0, row = 0; s < segments.length; s += 4) {
    const position = segments[s];
    const count = segments[s + 1];
    const blockTable = tables.subarray(segments[s + 2], segments[s + 2] + segments[s + 3]);
    for (let t = 0; t < count; t++) {
      const at = position + t;
      const physical = (blockTable[Math.floor(at / blockSize)] * blockSize + (at % blockSize)) * kvDim;
      const source = (row + t) * kvDim;
      keys.set(k.subarray(source, source + kvDim), physical);
      values.set(v.subarray(source, source + kvDim), physical);
    }
    const rows = [row * qDim, (row + count) * qDim] as const;
    kernels.attention(out.subarray(...rows), q.subarray(...rows), keys, values, blockTable, blockSize, position, count, nHeads, nKvHeads, headDim, scores);
    row += count;
  }
}
