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

/** Closures at several depths, in a method, and in places radon does not list (classes in functions, nested classes). */
const CLOSURES_SOURCE = `def outer(a):
    if a:
        pass
    def inner(b):
        if b:
            return b
        def deepest(c):
            return c or b
        return a and b
    class Local:
        def method(self):
            def hidden():
                pass
    return inner

class A:
    def m(self):
        @decorate
        def helper(x):
            return x if x else 0
        return helper
    class Inner:
        def im(self):
            def iclos():
                pass
`;
const CLOSURES_EXPECTED = [
  ["outer.inner", "function", 4, 9, 3],
  ["outer.inner.deepest", "function", 7, 8, 2],
  ["m.helper", "function", 19, 20, 2],
];

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

  it("lists nested functions of functions and methods as closures, named as radon --show-closures names them", () => {
    const tree = parsePython(parser, CLOSURES_SOURCE);
    try {
      const result = analyzeComplexity(tree.rootNode);
      expect(result.closures.map((b) => [b.name, b.kind, b.line, b.endLine, b.complexity])).toEqual(CLOSURES_EXPECTED);
      // Closures never change the blocks plain `radon cc` lists, nor the module total.
      expect(result.blocks.map((b) => [b.name, b.complexity])).toEqual([
        ["outer", 2],
        ["A", 2],
        ["A.m", 1],
      ]);
      expect(result.total).toBe(3);
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

interface RadonClosure {
  name: string;
  lineno: number;
  endline: number;
  complexity: number;
  closures?: RadonClosure[] | undefined;
}
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

  it("radon cc -j lists the same closures (nested under each function) as ours", () => {
    writeFileSync(path.join(dir, "closures.py"), CLOSURES_SOURCE);
    const Closure: z.ZodType<RadonClosure> = z.lazy(() =>
      z.object({ name: z.string(), lineno: z.number(), endline: z.number(), complexity: z.number(), closures: z.array(Closure).optional() }),
    );
    const output = z
      .record(z.string(), z.array(z.object({ type: z.string(), name: z.string(), closures: z.array(Closure).optional() })))
      .parse(JSON.parse(execFileSync("radon", ["cc", "-j", dir], { encoding: "utf8" })));
    const files = [...COMPLEXITY_CASES.map((c, index) => [`case${index}.py`, c.source] as const), ["closures.py", CLOSURES_SOURCE] as const];
    let compared = 0;
    for (const [file, source] of files) {
      const theirs: Array<[string, number, number, number]> = [];
      const flatten = (prefix: string, closures: RadonClosure[] | undefined): void => {
        for (const closure of closures ?? []) {
          const name = `${prefix}.${closure.name}`;
          theirs.push([name, closure.lineno, closure.endline, closure.complexity]);
          flatten(name, closure.closures);
        }
      };
      // A class's entry repeats its methods, which are listed on their own too.
      for (const block of output[path.join(dir, file)] ?? []) if (block.type !== "class") flatten(block.name, block.closures);
      const tree = parsePython(parser, source);
      try {
        const mine = analyzeComplexity(tree.rootNode).closures.map((b) => [b.name, b.line, b.endLine, b.complexity]);
        const byLine = (a: readonly unknown[], b: readonly unknown[]) => (a[1] as number) - (b[1] as number);
        expect(mine.sort(byLine), file).toEqual(theirs.sort(byLine));
        compared += theirs.length;
      } finally {
        tree.delete();
      }
    }
    expect(compared).toBeGreaterThanOrEqual(3);
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
