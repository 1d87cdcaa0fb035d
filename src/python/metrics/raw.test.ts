import { describe, expect, it } from "vitest";
import { RADON_CASES } from "./radon-cases.js";
import { computeRawMetrics, RawMetricsError } from "./raw.js";

function asRadonTuple(source: string): number[] {
  const raw = computeRawMetrics(source);
  return [raw.loc, raw.lloc, raw.sloc, raw.comments, raw.multi, raw.blank, raw.singleComments];
}

describe("computeRawMetrics matches radon 5.1.0 raw", () => {
  for (const radonCase of RADON_CASES) {
    if (radonCase.raw) {
      it(`${radonCase.name}: ${radonCase.raw.join(" ")}`, () => {
        expect(asRadonTuple(radonCase.source)).toEqual(radonCase.raw);
      });
    } else {
      it(`${radonCase.name}: raises "${radonCase.rawError}"`, () => {
        expect(() => computeRawMetrics(radonCase.source)).toThrow(RawMetricsError);
        expect(() => computeRawMetrics(radonCase.source)).toThrow(radonCase.rawError as string);
      });
    }
  }
});

describe("computeRawMetrics invariants", () => {
  it("treats CRLF and LF sources alike", () => {
    const lf = 'def f():\n    """Doc\n\n    more"""\n    return 1  # one\n';
    expect(computeRawMetrics(lf.replace(/\n/g, "\r\n"))).toEqual(computeRawMetrics(lf));
  });

  it("keeps loc = sloc + blank + multi + single comments", () => {
    for (const radonCase of RADON_CASES) {
      if (!radonCase.raw) continue;
      const raw = computeRawMetrics(radonCase.source);
      expect(raw.loc).toBe(raw.sloc + raw.blank + raw.multi + raw.singleComments);
    }
  });

  it("scans a 300k-line file in linear time", () => {
    const block = 'def f(a, b):\n    """Doc\n    string"""\n    x = [a,\n         b]  # c\n    if a: return b; x = 1\n\n';
    const source = block.repeat(300_000 / 7);
    const started = performance.now();
    const raw = computeRawMetrics(source);
    const elapsed = performance.now() - started;
    expect(raw.loc).toBeGreaterThan(299_000);
    expect(elapsed).toBeLessThan(5000);
  });
});
