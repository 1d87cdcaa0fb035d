import { f32ToF16Bits, GgmlType } from "../gguf/index.js";
import { KernelError } from "./errors.js";

/**
 * GGML block formats the kernels read, exactly as GGUF stores them (little endian):
 *
 *   q8_0 block (34 bytes, 32 values):  [d: f16][q0 .. q31: int8]          value_i = q_i * d
 *   q4_0 block (18 bytes, 32 values):  [d: f16][b0 .. b15: uint8]         value_i = (nibble_i - 8) * d
 *        nibble_i = b_i & 0x0f for i < 16 (low nibbles), b_(i-16) >> 4 for i >= 16 (high nibbles)
 *
 * A row of a quantized matrix is cols / 32 consecutive blocks, so cols must be a multiple of 32.
 */
export const QK = 32;
export const Q8_0_BLOCK_BYTES = 34;
export const Q4_0_BLOCK_BYTES = 18;

/** Bytes one row of `cols` values occupies in GGML type `type`. */
export function rowBytes(type: GgmlType, cols: number): number {
  switch (type) {
    case GgmlType.F32:
      return cols * 4;
    case GgmlType.F16:
      return cols * 2;
    case GgmlType.Q8_0:
      return (cols / QK) * Q8_0_BLOCK_BYTES;
    case GgmlType.Q4_0:
      return (cols / QK) * Q4_0_BLOCK_BYTES;
    default:
      throw new KernelError(`tensor type ${String(type)} has no kernel; supported: f32, f16, q8_0, q4_0`, { type });
  }
}

/** Throws a KernelError unless `weights` holds exactly a rows x cols matrix of `type`. */
export function checkMatrix(weights: Uint8Array, type: GgmlType, rows: number, cols: number): void {
  if ((type === GgmlType.Q8_0 || type === GgmlType.Q4_0) && cols % QK !== 0) {
    throw new KernelError(`a ${GgmlType[type]} matrix needs cols to be a multiple of ${QK}, got ${cols}`, { type, cols });
  }
  const expected = rows * rowBytes(type, cols);
  if (weights.byteLength < expected) {
    throw new KernelError(`weights hold ${weights.byteLength} bytes, a ${rows}x${cols} ${GgmlType[type]} matrix needs ${expected}`, {
      type,
      rows,
      cols,
    });
  }
}

/** f16 bit pattern -> f32 value, for every one of the 65536 patterns (subnormals, inf, NaN included). */
export const F16_TO_F32: Float32Array = buildF16Table();

function buildF16Table(): Float32Array {
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    let value: number;
    if (exponent === 0) value = mantissa * 2 ** -24;
    else if (exponent === 31) value = mantissa === 0 ? Infinity : NaN;
    else value = (1 + mantissa / 1024) * 2 ** (exponent - 15);
    table[bits] = sign * value;
  }
  return table;
}

/** f32 -> nearest f16 (ties to even) -> f32, the rounding of llama.cpp's f16 KV cache and F16C. */
export function roundToF16(value: number): number {
  return F16_TO_F32[f32ToF16Bits(value)];
}

/**
 * roundToF16 of values[begin .. end) in place. Values in f16's normal range are rounded on their
 * f32 bits: adding 0xfff plus the lowest kept mantissa bit, then clearing the 13 dropped bits, is
 * round-to-nearest-even at f16's 10 mantissa bits, and a carry out of the mantissa moves the
 * exponent up as it should (past f16's largest exponent the value is infinity, as a half would be).
 * Zeros, f16 subnormals, infinities and NaN take roundToF16.
 */
export function roundToF16InPlace(values: Float32Array, begin = 0, end = values.length): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = begin; i < end; i++) {
    const word = bits[i];
    const exponent = (word >>> 23) & 0xff;
    if (exponent >= F16_MIN_NORMAL_EXPONENT && exponent <= F16_MAX_EXPONENT) {
      const rounded = (word + 0xfff + ((word >>> 13) & 1)) & 0xffffe000;
      bits[i] = ((rounded >>> 23) & 0xff) > F16_MAX_EXPONENT ? (word & 0x80000000) | 0x7f800000 : rounded;
    } else {
      values[i] = F16_TO_F32[f32ToF16Bits(values[i])];
    }
  }
}

/** f32 biased exponents of f16's normal range: 2^-14 .. 2^15 (f16 exponents 1 .. 30). */
const F16_MIN_NORMAL_EXPONENT = 127 - 14;
const F16_MAX_EXPONENT = 127 + 15;

/**
 * Quantizes activations x (length cols, a multiple of 32) to q8_0 the way llama.cpp does before a
 * q8_0/q4_0 dot product: per block d = max|x| / 127 (stored rounded to f16), q = round(x * 127 / max|x|).
 * Writes the int8 values to quants[xOffset ..) and the f16-rounded scales to scales[xOffset / 32 ..),
 * so (n, cols) activations map to (n, cols) quants and (n, cols / 32) scales.
 */
export function quantizeActivationsQ8(x: Float32Array, xOffset: number, cols: number, quants: Int8Array, scales: Float32Array): void {
  for (let block = 0; block < cols / QK; block++) {
    const base = xOffset + block * QK;
    let amax = 0;
    for (let j = 0; j < QK; j++) {
      const a = Math.abs(x[base + j]);
      if (a > amax) amax = a;
    }
    const d = Math.fround(amax / 127);
    const inverse = amax === 0 ? 0 : Math.fround(127 / amax);
    scales[base / QK] = F16_TO_F32[f32ToF16Bits(d)];
    for (let j = 0; j < QK; j++) quants[base + j] = roundHalfEven(Math.fround(x[base + j] * inverse));
  }
}

/** Round half to even, matching the C kernels' _mm256_round_ps(x, nearest) and nearbyintf. */
function roundHalfEven(value: number): number {
  const r = Math.round(value);
  return r - value === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const dataViews = new WeakMap<Uint8Array, DataView>();

/**
 * Dequantizes row `row` of a rows x cols matrix in `type` into out[outOffset .. outOffset + cols).
 * Reads the weight bytes in place (a DataView cached per weights array for f32): no allocation per call.
 */
export function readRow(out: Float32Array, outOffset: number, weights: Uint8Array, type: GgmlType, row: number, cols: number): void {
  const start = row * rowBytes(type, cols);
  switch (type) {
    case GgmlType.F32: {
      let view = dataViews.get(weights);
      if (view === undefined) {
        view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
        dataViews.set(weights, view);
      }
      for (let c = 0; c < cols; c++) out[outOffset + c] = view.getFloat32(start + c * 4, true);
      return;
    }
    case GgmlType.F16:
      for (let c = 0; c < cols; c++) out[outOffset + c] = F16_TO_F32[weights[start + 2 * c] | (weights[start + 2 * c + 1] << 8)];
      return;
    case GgmlType.Q8_0:
      for (let block = 0; block < cols / QK; block++) {
        const o = start + block * Q8_0_BLOCK_BYTES;
        const d = F16_TO_F32[weights[o] | (weights[o + 1] << 8)];
        for (let j = 0; j < QK; j++) out[outOffset + block * QK + j] = ((weights[o + 2 + j] << 24) >> 24) * d;
      }
      return;
    case GgmlType.Q4_0:
      for (let block = 0; block < cols / QK; block++) {
        const o = start + block * Q4_0_BLOCK_BYTES;
        const d = F16_TO_F32[weights[o] | (weights[o + 1] << 8)];
        const base = outOffset + block * QK;
        for (let j = 0; j < 16; j++) {
          const b = weights[o + 2 + j];
          out[base + j] = ((b & 0x0f) - 8) * d;
          out[base + j + 16] = ((b >> 4) - 8) * d;
        }
      }
      return;
    default:
      rowBytes(type, cols);
  }
}
