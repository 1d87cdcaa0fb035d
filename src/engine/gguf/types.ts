import { GgufError } from "./errors.js";

/** Tensor element types, numbered as in ggml.h (only the ones PyAgent reads and writes). */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
}

/** Metadata value types, numbered as in the GGUF specification. */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** 64-bit integers come back as `number` when they fit in 2^53, otherwise as `bigint`. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** GGUF order: dims[0] is the contiguous (fastest) dimension, e.g. a (rows=out, cols=in) matrix has dims [in, out]. */
  dims: number[];
  type: GgmlType;
  /** Absolute byte offset of the tensor data in the file. */
  offset: number;
  byteLength: number;
}

interface BlockLayout {
  readonly name: string;
  /** Elements per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly blockBytes: number;
}

const layouts: ReadonlyMap<GgmlType, BlockLayout> = new Map([
  [GgmlType.F32, { name: "f32", blockSize: 1, blockBytes: 4 }],
  [GgmlType.F16, { name: "f16", blockSize: 1, blockBytes: 2 }],
  // block_q4_0: f16 d, then 16 bytes holding 32 nibbles.
  [GgmlType.Q4_0, { name: "q4_0", blockSize: 32, blockBytes: 18 }],
  // block_q8_0: f16 d, then 32 int8.
  [GgmlType.Q8_0, { name: "q8_0", blockSize: 32, blockBytes: 34 }],
]);

/**
 * Other ggml types, known only well enough to size them (block sizes from ggml-common.h), so that
 * the header of any GGUF model can be described even where the engine cannot run it.
 */
const foreignLayouts: ReadonlyMap<number, BlockLayout> = new Map(
  (
    [
      [3, "q4_1", 32, 20],
      [6, "q5_0", 32, 22],
      [7, "q5_1", 32, 24],
      [9, "q8_1", 32, 36],
      [10, "q2_K", 256, 84],
      [11, "q3_K", 256, 110],
      [12, "q4_K", 256, 144],
      [13, "q5_K", 256, 176],
      [14, "q6_K", 256, 210],
      [15, "q8_K", 256, 292],
      [20, "iq4_nl", 32, 18],
      [23, "iq4_xs", 256, 136],
      [24, "i8", 1, 1],
      [25, "i16", 1, 2],
      [26, "i32", 1, 4],
      [27, "i64", 1, 8],
      [28, "f64", 1, 8],
      [30, "bf16", 1, 2],
    ] as const
  ).map(([type, name, size, bytes]) => [type, { name, blockSize: size, blockBytes: bytes }]),
);

/** Types the engine reads and computes with. */
export function isSupportedType(type: number): type is GgmlType {
  return layouts.has(type);
}

/** Types whose size is known (supported or not). */
export function isKnownType(type: number): boolean {
  return layouts.has(type) || foreignLayouts.has(type);
}

export function ggmlTypeName(type: GgmlType): string {
  return (layouts.get(type) ?? foreignLayouts.get(type))?.name ?? `type ${type}`;
}

export function ggmlTypeFromName(name: string): GgmlType | undefined {
  for (const [type, layout] of layouts) if (layout.name === name) return type;
  return undefined;
}

export function blockSize(type: GgmlType): number {
  return layoutOf(type).blockSize;
}

/** Bytes taken by `count` elements of `type`; count must be a whole number of blocks. */
export function tensorByteLength(type: GgmlType, count: number): number {
  const layout = layoutOf(type);
  if (count % layout.blockSize !== 0) {
    throw new GgufError(
      `${count} elements is not a whole number of ${layout.name} blocks (${layout.blockSize} elements each)`,
      { type, count },
    );
  }
  return (count / layout.blockSize) * layout.blockBytes;
}

function layoutOf(type: GgmlType): BlockLayout {
  const layout = layouts.get(type) ?? foreignLayouts.get(type);
  if (!layout) {
    throw new GgufError(`unknown ggml tensor type ${type}`, { type });
  }
  return layout;
}
