import { beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { createPythonParser } from "../parse/parser.js";
import { dedent, parsesCleanly, pyCompile } from "./test-support.js";
import { removeUnusedVariables, type UnusedVariablesOptions } from "./unused-variables.js";

let parser: Parser;
beforeAll(async () => {
  parser = await createPythonParser();
});

function fix(input: string, options: UnusedVariablesOptions = {}): string {
  const source = dedent(input);
  const first = removeUnusedVariables(parser, source, options);
  expect(parsesCleanly(parser, first.source)).toBe(true);
  pyCompile(first.source);
  const again = removeUnusedVariables(parser, first.source, options);
  expect(again.source).toBe(first.source);
  return first.source;
}

describe("removeUnusedVariables", () => {
  it("removes an unused local whose value is a literal, name, container or arithmetic", () => {
    expect(fix(`
      def f(a, b):
          unused = 42  # the answer
          pair = (a, [b, 1], {"k": a + b * 2})
          total = a + b
          return total
    `)).toBe(dedent(`
      def f(a, b):
          total = a + b
          return total
    `));
  });

  it("keeps the call and drops only the target when the value is a call", () => {
    expect(fix(`
      async def f(path):
          handle = open(path)
          result: int = compute(
              path,  # keep me
          )
          data = await fetch(path)
          return 1
    `)).toBe(dedent(`
      async def f(path):
          open(path)
          compute(
              path,  # keep me
          )
          await fetch(path)
          return 1
    `));
  });

  it("leaves values that may raise or read attributes, and names read anywhere in the function", () => {
    const source = dedent(`
      def f(a, b):
          ratio = a / b
          field = a.field
          item = a[0]
          closure = 1
          def inner():
              return closure
          counter = 0
          def bump():
              nonlocal counter
          return inner, bump
    `);
    expect(fix(source)).toBe(source);
  });

  it("skips functions that read locals dynamically and module-level assignments", () => {
    const source = "CONSTANT = 1\n\ndef f():\n    x = 1\n    return locals()\n";
    expect(fix(source)).toBe(source);
  });

  it("inserts pass when the block becomes empty and honours # noqa", () => {
    expect(fix(`
      def f(flag):
          if flag:
              x = 1
          y = 2  # noqa: F841
    `)).toBe(dedent(`
      def f(flag):
          if flag:
              pass
          y = 2  # noqa: F841
    `));
  });

  it("limits itself to the names it is given", () => {
    expect(fix("def f():\n    a = 1\n    b = 2\n", { names: new Set(["b"]) })).toBe("def f():\n    a = 1\n");
  });
});
