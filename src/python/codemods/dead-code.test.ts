import { beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { createPythonParser } from "../parse/parser.js";
import { removeDeadCode } from "./dead-code.js";
import { dedent, parsesCleanly, pyCompile } from "./test-support.js";

let parser: Parser;
beforeAll(async () => {
  parser = await createPythonParser();
});

function fix(input: string): string {
  const source = dedent(input);
  const first = removeDeadCode(parser, source);
  expect(parsesCleanly(parser, first.source)).toBe(true);
  pyCompile(first.source);
  const again = removeDeadCode(parser, first.source);
  expect(again.source).toBe(first.source);
  expect(again.changes).toEqual([]);
  return first.source;
}

describe("removeDeadCode", () => {
  it("removes statements after return, raise, continue and break in the same block", () => {
    expect(fix(`
      def f(items):
          for item in items:
              if item:
                  continue
                  print("never")
              if item is None:
                  break
                  item = 1
          return 1
          # a comment among dead code
          print("dead")
          x = 2

      def g():
          raise ValueError("no")
          return None
    `)).toBe(dedent(`
      def f(items):
          for item in items:
              if item:
                  continue
              if item is None:
                  break
          return 1

      def g():
          raise ValueError("no")
    `));
  });

  it("keeps comments that introduce the next live code", () => {
    expect(fix(`
      def f():
          return 1
          dead()
      # The next function, documented.
      def g():
          return 2
    `)).toBe(dedent(`
      def f():
          return 1
      # The next function, documented.
      def g():
          return 2
    `));
  });

  it("removes nested dead code once and handles semicolons", () => {
    expect(fix(`
      def f(x):
          return x
          if x:
              return 1
              print(2)
      def g(x):
          return x; print(x)
    `)).toBe(dedent(`
      def f(x):
          return x
      def g(x):
          return x
    `));
  });

  it("changes nothing without dead code or when marked # noqa: V201", () => {
    const source = "def f():\n    return 1\n    print(1)  # noqa: V201\n\ndef g(x):\n    if x:\n        return 1\n    return 2\n";
    expect(fix(source)).toBe(source);
  });
});

describe("removeDeadCode and generators", () => {
  it("keeps a dead yield that makes the function a generator", () => {
    const source = "def empty():\n    return\n    yield\n\ndef nested():\n    return 1\n    def inner():\n        yield 2\n";
    expect(fix(source)).toBe("def empty():\n    return\n    yield\n\ndef nested():\n    return 1\n");
  });
});
