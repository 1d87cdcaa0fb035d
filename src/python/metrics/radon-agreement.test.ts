import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { z } from "zod";
import { createPythonParser, parsePython } from "../parse/parser.js";
import { totalComplexity } from "./complexity.js";
import { computeHalstead } from "./halstead.js";
import { maintainabilityIndex } from "./maintainability.js";
import { RADON_CASES } from "./radon-cases.js";
import { computeRawMetrics } from "./raw.js";

function radonAvailable(): boolean {
  try {
    execFileSync("radon", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const hasRadon = radonAvailable();
const RadonError = z.object({ error: z.string() });
const RadonRaw = z.record(z.string(), z.union([RadonError, z.record(z.string(), z.number())]));
const RadonHal = z.record(z.string(), z.union([RadonError, z.object({ total: z.array(z.number()) })]));
const RadonMi = z.record(z.string(), z.union([RadonError, z.object({ mi: z.number() })]));

let directory = "";
let parser: Parser;
const fileOf = (index: number): string => path.join(directory, `case_${String(index).padStart(3, "0")}.py`);

function radonJson(command: string): unknown {
  return JSON.parse(execFileSync("radon", [command, "-j", directory], { encoding: "utf8", maxBuffer: 1 << 26 }));
}

beforeAll(async () => {
  parser = await createPythonParser();
  directory = mkdtempSync(path.join(tmpdir(), "pyagent-radon-cases-"));
  RADON_CASES.forEach((radonCase, index) => writeFileSync(fileOf(index), radonCase.source, "utf8"));
});
afterAll(() => {
  parser.delete();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe("the radon CLI agrees with our metrics on every pinned case", () => {
  it("radon raw -j, hal -j and mi -j give our numbers", (context) => {
    if (!hasRadon) context.skip("radon is not on PATH (Debian package `radon`)");
    const raw = RadonRaw.parse(radonJson("raw"));
    const hal = RadonHal.parse(radonJson("hal"));
    const mi = RadonMi.parse(radonJson("mi"));
    RADON_CASES.forEach((radonCase, index) => {
      const file = fileOf(index);
      const expectedRaw = raw[file];
      if ("error" in expectedRaw) {
        expect(() => computeRawMetrics(radonCase.source), radonCase.name).toThrow(expectedRaw.error);
        return;
      }
      const ours = computeRawMetrics(radonCase.source);
      expect([ours.loc, ours.lloc, ours.sloc, ours.comments, ours.multi, ours.blank, ours.singleComments], radonCase.name).toEqual([
        expectedRaw.loc,
        expectedRaw.lloc,
        expectedRaw.sloc,
        expectedRaw.comments,
        expectedRaw.multi,
        expectedRaw.blank,
        expectedRaw.single_comments,
      ]);
      const expectedHal = hal[file];
      const expectedMi = mi[file];
      if ("error" in expectedHal || "error" in expectedMi) return;
      const tree = parsePython(parser, radonCase.source);
      try {
        const halstead = Object.values(computeHalstead(tree.rootNode, radonCase.source));
        halstead.forEach((value, field) => {
          expect(Math.abs(value - expectedHal.total[field]), `${radonCase.name} field ${field}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expectedHal.total[field])));
        });
        const index = maintainabilityIndex({ halsteadVolume: halstead[7], totalComplexity: totalComplexity(tree.rootNode, radonCase.source), raw: ours });
        expect(Math.abs(index - expectedMi.mi), radonCase.name).toBeLessThanOrEqual(1e-9);
      } finally {
        tree.delete();
      }
    });
  }, 60_000);
});
