/**
 * IEEE 754 half precision <-> single precision. Encoding rounds to nearest, ties to even (what
 * ggml's GGML_FP32_TO_FP16 does with F16C and in its portable fallback).
 */
const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

export function f32ToF16Bits(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  // NaN becomes the canonical quiet NaN 0x7e00, as in ggml.
  if (exponent === 0xff) return sign | (mantissa !== 0 ? 0x7e00 : 0x7c00);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Result is a half subnormal m * 2^-24, m = full mantissa >> (14 - halfExponent).
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

let decodeTable: Float32Array | null = null;

/** Lookup table of all 65536 half values as f32 (256 KiB, built on first use). */
export function f16Table(): Float32Array {
  if (decodeTable) return decodeTable;
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) table[bits] = f16BitsToF32Slow(bits);
  decodeTable = table;
  return table;
}

export function f16BitsToF32(bits: number): number {
  return f16Table()[bits & 0xffff];
}

function f16BitsToF32Slow(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
