import { GgufError } from "./errors.js";
import { f16Table, f32ToF16Bits } from "./f16.js";
import { GgmlType, tensorByteLength } from "./types.js";

/**
 * Reference encoders/decoders for the GGML block formats, bit-exact with ggml's
 * quantize_row_q8_0_ref / quantize_row_q4_0_ref: every intermediate is rounded to f32
 * (Math.fround) because ggml computes in float, not double.
 */
const fround = Math.fround;

/** C's roundf: halves away from zero. */
function roundHalfAway(value: number): number {
  return value < 0 ? -Math.floor(-value + 0.5) : Math.floor(value + 0.5);
}

function checkBlocks(values: Float32Array, format: string): void {
  if (values.length % 32 !== 0) {
    throw new GgufError(`${format} needs a multiple of 32 values, got ${values.length}`, { count: values.length });
  }
}

/** block_q8_0 = { f16 d; int8 qs[32] }, value = qs[j] * d, d = max|x| / 127. */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  checkBlocks(values, "q8_0");
  const blocks = values.length / 32;
  const out = new Uint8Array(blocks * 34);
  const signed = new Int8Array(out.buffer);
  for (let block = 0; block < blocks; block++) {
    const base = block * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[base + j]));
    const d = fround(amax / 127);
    const id = d !== 0 ? fround(1 / d) : 0;
    const at = block * 34;
    const bits = f32ToF16Bits(d);
    out[at] = bits & 0xff; // little-endian f16
    out[at + 1] = bits >>> 8;
    for (let j = 0; j < 32; j++) signed[at + 2 + j] = roundHalfAway(fround(values[base + j] * id));
  }
  return out;
}

/**
 * block_q4_0 = { f16 d; uint8 qs[16] }: element j (0..15) is the low nibble of qs[j], element
 * 16 + j the high nibble; value = (nibble - 8) * d, d = (the value of largest magnitude) / -8.
 */
export function quantizeQ4_0(values: Float32Array): Uint8Array {
  checkBlocks(values, "q4_0");
  const blocks = values.length / 32;
  const out = new Uint8Array(blocks * 18);
  for (let block = 0; block < blocks; block++) {
    const base = block * 32;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const value = values[base + j];
      if (amax < Math.abs(value)) {
        amax = Math.abs(value);
        max = value;
      }
    }
    const d = fround(max / -8);
    const id = d !== 0 ? fround(1 / d) : 0;
    const at = block * 18;
    const bits = f32ToF16Bits(d);
    out[at] = bits & 0xff; // little-endian f16
    out[at + 1] = bits >>> 8;
    for (let j = 0; j < 16; j++) {
      // (int8_t)(x + 8.5f) truncates toward zero; x*id lies in [-8, 8] so the sum is >= 0.5.
      const low = Math.min(15, Math.trunc(fround(fround(values[base + j] * id) + 8.5)));
      const high = Math.min(15, Math.trunc(fround(fround(values[base + 16 + j] * id) + 8.5)));
      out[at + 2 + j] = low | (high << 4);
    }
  }
  return out;
}

export function encodeF16(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return new Uint8Array(out.buffer);
}

export function encodeF32(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/** Encodes f32 values into `type`. */
export function encodeTensor(type: GgmlType, values: Float32Array): Uint8Array {
  switch (type) {
    case GgmlType.F32:
      return encodeF32(values);
    case GgmlType.F16:
      return encodeF16(values);
    case GgmlType.Q8_0:
      return quantizeQ8_0(values);
    case GgmlType.Q4_0:
      return quantizeQ4_0(values);
  }
}

/** Decodes the first `count` elements of `data` (encoded in `type`) into f32. */
export function dequantize(type: GgmlType, data: Uint8Array, count: number): Float32Array {
  const needed = tensorByteLength(type, count);
  if (data.byteLength < needed) {
    throw new GgufError(`dequantize needs ${needed} bytes for ${count} elements, got ${data.byteLength}`, {
      type,
      count,
    });
  }
  const out = new Float32Array(count);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const half = f16Table();
  switch (type) {
    case GgmlType.F32:
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case GgmlType.F16:
      for (let i = 0; i < count; i++) out[i] = half[view.getUint16(i * 2, true)];
      return out;
    case GgmlType.Q8_0:
      for (let block = 0; block < count / 32; block++) {
        const at = block * 34;
        const d = half[view.getUint16(at, true)];
        for (let j = 0; j < 32; j++) out[block * 32 + j] = view.getInt8(at + 2 + j) * d;
      }
      return out;
    case GgmlType.Q4_0:
      for (let block = 0; block < count / 32; block++) {
        const at = block * 18;
        const d = half[view.getUint16(at, true)];
        for (let j = 0; j < 16; j++) {
          const byte = data[at + 2 + j];
          out[block * 32 + j] = ((byte & 0x0f) - 8) * d;
          out[block * 32 + 16 + j] = ((byte >>> 4) - 8) * d;
        }
      }
      return out;
  }
}
