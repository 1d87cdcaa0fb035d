import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Parser } from "web-tree-sitter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createPythonParser, parsePython } from "../parse/parser.js";
import { analyzeComplexity, computeBlocks, totalComplexity } from "./complexity.js";
import { COMPLEXITY_CASES, type ComplexityCase } from "./complexity-cases.js";

let parser: Parser;
beforeAll(async () => {
  parser = await createPythonParser();
});

function ours(source: string): { blocks: ComplexityCase["blocks"]; total: number } {
  const tree = parsePython(parser, source);
  try {
    const result = analyzeComplexity(tree.rootNode);
    return {
      blocks: result.blocks.map((b) => [b.name, b.kind, b.line, b.endLine, b.complexity]),
      total: result.total,
    };
  } finally {
    tree.delete();
  }
}

describe("cyclomatic complexity matches radon 5.1.0", () => {
  for (const testCase of COMPLEXITY_CASES) {
    it(testCase.name, () => {
      expect(ours(testCase.source)).toEqual({ blocks: testCase.blocks, total: testCase.total });
    });
  }

  it("computeBlocks and totalComplexity agree with analyzeComplexity", () => {
    const source = COMPLEXITY_CASES.map((c) => c.source).join("\n");
    const tree = parsePython(parser, source);
    try {
      const both = analyzeComplexity(tree.rootNode);
      expect(computeBlocks(tree.rootNode, source)).toEqual(both.blocks);
      expect(totalComplexity(tree.rootNode, source)).toBe(both.total);
    } finally {
      tree.delete();
    }
  });

  it("an empty module has no blocks and total complexity 1", () => {
    expect(ours("")).toEqual({ blocks: [], total: 1 });
  });
});

/** The interpreter radon runs under (its script's shebang), or null when radon is not installed. */
function findRadonPython(): string | null {
  try {
    const script = execFileSync("sh", ["-c", "command -v radon"], { encoding: "utf8" }).trim();
    if (!script) return null;
    const shebang = readFileSync(script, "utf8").split("\n", 1)[0];
    return shebang.startsWith("#!") ? shebang.slice(2).trim().split(/\s+/)[0] : null;
  } catch {
    return null;
  }
}

const radonPython = findRadonPython();
const RadonBlocks = z.record(
  z.string(),
  z.array(
    z.object({
      type: z.enum(["function", "method", "class"]),
      name: z.string(),
      classname: z.string().optional(),
      lineno: z.number(),
      endline: z.number(),
      complexity: z.number(),
    }),
  ),
);

describe.skipIf(radonPython === null)("live radon (skipped: radon is not on PATH)", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "pyagent-cc-"));
    COMPLEXITY_CASES.forEach((c, index) => writeFileSync(path.join(dir, `case${index}.py`), c.source));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("radon cc -j lists the same blocks, lines and complexities as the pinned expectations", () => {
    const output = RadonBlocks.parse(JSON.parse(execFileSync("radon", ["cc", "-j", dir], { encoding: "utf8" })));
    COMPLEXITY_CASES.forEach((c, index) => {
      const blocks = (output[path.join(dir, `case${index}.py`)] ?? []).map((b) => [
        b.type === "method" ? `${b.classname}.${b.name}` : b.name,
        b.type,
        b.lineno,
        b.endline,
        b.complexity,
      ]);
      expect(blocks, c.name).toEqual(c.blocks);
      expect(ours(c.source).blocks, c.name).toEqual(blocks);
    });
  });

  it("radon's total_complexity equals the pinned module totals", () => {
    const script = [
      "import sys, json",
      "from radon.visitors import ComplexityVisitor",
      "print(json.dumps([ComplexityVisitor.from_code(open(p).read()).total_complexity for p in sys.argv[1:]]))",
    ].join("\n");
    const files = COMPLEXITY_CASES.map((_, index) => path.join(dir, `case${index}.py`));
    const totals = z.array(z.number()).parse(JSON.parse(execFileSync(radonPython!, ["-c", script, ...files], { encoding: "utf8" })));
    expect(totals).toEqual(COMPLEXITY_CASES.map((c) => c.total));
  });
});
