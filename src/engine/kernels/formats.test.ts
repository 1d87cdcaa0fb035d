import { describe, expect, it } from "vitest";
import { f32ToF16Bits } from "../gguf/index.js";
import { F16_TO_F32, roundToF16, roundToF16InPlace } from "./formats.js";

/** The definition: through the f16 bits and back. */
function throughHalf(value: number): number {
  return F16_TO_F32[f32ToF16Bits(value)];
}

describe("roundToF16InPlace", () => {
  it("equals rounding through f16 bits for every exponent, ties, overflow, subnormals, zeros, infinities and NaN", () => {
    const words: number[] = [];
    // Every f32 exponent with mantissas at and around the tie points of the 13 dropped bits.
    for (let exponent = 0; exponent < 256; exponent++) {
      for (const mantissa of [0, 1, 0xfff, 0x1000, 0x1001, 0x2000, 0x2fff, 0x3000, 0x3001, 0x7fe000, 0x7fefff, 0x7ff000, 0x7ff001, 0x7fffff]) {
        words.push((exponent << 23) | mantissa, (0x80000000 | (exponent << 23) | mantissa) >>> 0);
      }
    }
    // And pseudo-random words over the whole range.
    let state = 12345;
    for (let i = 0; i < 200_000; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      words.push(state);
    }
    const values = new Float32Array(Uint32Array.from(words).buffer);
    const expected = values.map(throughHalf);
    roundToF16InPlace(values);
    const got = new Uint32Array(values.buffer);
    const want = new Uint32Array(expected.buffer);
    let mismatches = 0;
    for (let i = 0; i < got.length; i++) {
      const bothNaN = Number.isNaN(values[i]) && Number.isNaN(expected[i]);
      if (got[i] !== want[i] && !bothNaN) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it("rounds only the range asked for, through a subarray view", () => {
    const backing = Float32Array.of(1.0001, 1.0001, 1.0001, 1.0001);
    roundToF16InPlace(backing.subarray(1, 4), 1, 2);
    expect([...backing]).toEqual([Math.fround(1.0001), Math.fround(1.0001), roundToF16(1.0001), Math.fround(1.0001)]);
  });
});
