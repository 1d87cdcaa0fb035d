import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { createPythonParser, parsePython } from "../parse/parser.js";
import { computeHalstead, halsteadReport } from "./halstead.js";
import { RADON_CASES } from "./radon-cases.js";

let parser: Parser;
beforeAll(async () => {
  parser = await createPythonParser();
});
afterAll(() => parser.delete());

function halsteadOf(source: string): number[] {
  const tree = parsePython(parser, source);
  try {
    return Object.values(computeHalstead(tree.rootNode, source));
  } finally {
    tree.delete();
  }
}

/** V8's Math.log and glibc's log may differ in the last bit, so floats are compared to 1e-12. */
function expectSameReport(actual: number[], expected: number[]): void {
  expect(actual.slice(0, 6)).toEqual(expected.slice(0, 6));
  for (let index = 6; index < expected.length; index++) {
    expect(Math.abs(actual[index] - expected[index])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected[index])));
  }
}

describe("computeHalstead matches radon 5.1.0 hal (file total)", () => {
  for (const radonCase of RADON_CASES) {
    if (!radonCase.halstead) continue;
    const expected = radonCase.halstead;
    it(`${radonCase.name}: h1=${expected[0]} h2=${expected[1]} N1=${expected[2]} N2=${expected[3]}`, () => {
      expectSameReport(halsteadOf(radonCase.source), expected);
    });
  }

  it("counts a name and the equal string constant as one operand", () => {
    expectSameReport(halsteadOf("a = x + 'x'\n"), halsteadOf("a = x + x\n"));
  });

  it("gives the same totals for CRLF and LF sources", () => {
    for (const radonCase of RADON_CASES) {
      if (!radonCase.halstead) continue;
      expect(halsteadOf(radonCase.source.replace(/\r?\n/g, "\r\n")), radonCase.name).toEqual(halsteadOf(radonCase.source));
    }
  });

  it("gives every call operand its own identity", () => {
    const [h1, h2, N1, N2] = halsteadOf("a = f() + f()\n");
    expect([h1, h2, N1, N2]).toEqual([1, 2, 1, 2]);
  });
});

describe("halsteadReport", () => {
  it("returns zeros for code without operators", () => {
    expect(Object.values(halsteadReport(0, 0, 0, 0))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("uses radon's formulas", () => {
    const report = halsteadReport(2, 4, 3, 6);
    expect(report.vocabulary).toBe(6);
    expect(report.length).toBe(9);
    expect(report.calculatedLength).toBeCloseTo(2 + 8, 12);
    expect(report.volume).toBeCloseTo(9 * Math.log2(6), 12);
    expect(report.difficulty).toBe(1.5);
    expect(report.effort).toBeCloseTo(1.5 * 9 * Math.log2(6), 12);
    expect(report.time).toBeCloseTo(report.effort / 18, 12);
    expect(report.bugs).toBeCloseTo(report.volume / 3000, 12);
  });
});
