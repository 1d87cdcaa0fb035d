/**
 * Seeded pseudo-random numbers (SplitMix32 state stepping, well mixed output), so that the same seed
 * gives byte-identical model files on every machine.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /**
   * Fills `out` with normal(0, scale) values: Marsaglia's polar method with the generator inlined
   * (no trig, one log per pair), ~10x faster than calling normal() per value.
   */
  fillNormal(out: Float32Array, scale: number): Float32Array {
    let state = this.state;
    const uniform = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return ((z ^ (z >>> 16)) >>> 0) / 2147483648 - 1; // [-1, 1)
    };
    let i = 0;
    while (i < out.length) {
      const u = uniform();
      const v = uniform();
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const factor = Math.sqrt((-2 * Math.log(s)) / s) * scale;
      out[i++] = u * factor;
      if (i < out.length) out[i++] = v * factor;
    }
    this.state = state;
    return out;
  }
}
