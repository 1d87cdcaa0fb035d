import { describe, expect, it } from "vitest";
import { maintainabilityFromParameters, maintainabilityIndex } from "./maintainability.js";
import { RADON_CASES } from "./radon-cases.js";
import { computeRawMetrics } from "./raw.js";

describe("maintainabilityIndex matches radon 5.1.0 mi -s (multi-line strings as comments)", () => {
  for (const radonCase of RADON_CASES) {
    if (radonCase.mi === undefined || !radonCase.halstead) continue;
    const { halstead, complexity, mi } = radonCase;
    it(`${radonCase.name}: ${mi}`, () => {
      const actual = maintainabilityIndex({
        halsteadVolume: halstead[7],
        totalComplexity: complexity as number,
        raw: computeRawMetrics(radonCase.source),
      });
      expect(Math.abs(actual - mi)).toBeLessThanOrEqual(1e-9);
    });
  }
});

describe("maintainabilityFromParameters (radon's mi_compute)", () => {
  it("is 100 when the volume or the logical line count is not positive", () => {
    expect(maintainabilityFromParameters(0, 5, 10, 20)).toBe(100);
    expect(maintainabilityFromParameters(50, 5, 0, 20)).toBe(100);
  });

  it("clamps at 0 for huge, complex code", () => {
    expect(maintainabilityFromParameters(1e12, 500, 1e6, 0)).toBe(0);
  });

  it("uses LLOC as the size term and the comment percentage of SLOC", () => {
    const raw = { loc: 20, lloc: 8, sloc: 10, comments: 2, multi: 3, blank: 2, singleComments: 5 };
    const expected = maintainabilityFromParameters(120, 4, 8, 50);
    expect(maintainabilityIndex({ halsteadVolume: 120, totalComplexity: 4, raw })).toBe(expected);
  });
});
