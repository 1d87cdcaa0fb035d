import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { createPythonParser } from "../parse/parser.js";
import { findLazyImports, moveImportsIntoFunctions, type LazyImportOptions } from "./lazy-imports.js";
import { dedent, parsesCleanly, pyCompile, runPython } from "./test-support.js";

let parser: Parser;
beforeAll(async () => {
  parser = await createPythonParser();
});

function fix(input: string, options: LazyImportOptions = {}): string {
  const source = dedent(input);
  const first = moveImportsIntoFunctions(parser, source, options);
  expect(parsesCleanly(parser, first.source)).toBe(true);
  pyCompile(first.source);
  const again = moveImportsIntoFunctions(parser, first.source, options);
  expect(again.source).toBe(first.source);
  expect(again.changes).toEqual([]);
  return first.source;
}

describe("moveImportsIntoFunctions", () => {
  it("moves an import used only inside functions to the top of each, after docstrings", () => {
    expect(fix(`
      import json
      from decimal import Decimal, ROUND_HALF_UP
      import os


      def dump(value):
          """Serialize."""
          # compact output
          return json.dumps(value)


      class Money:
          def rounded(self, amount):
              return Decimal(amount).quantize(Decimal("0.01"), ROUND_HALF_UP)

          def load(self, text):
              """Only a docstring before."""
              return json.loads(text)


      HOME = os.environ.get("HOME")
    `)).toBe(dedent(`
      import os


      def dump(value):
          """Serialize."""
          import json
          # compact output
          return json.dumps(value)


      class Money:
          def rounded(self, amount):
              from decimal import Decimal
              from decimal import ROUND_HALF_UP
              return Decimal(amount).quantize(Decimal("0.01"), ROUND_HALF_UP)

          def load(self, text):
              """Only a docstring before."""
              import json
              return json.loads(text)


      HOME = os.environ.get("HOME")
    `));
  });

  it("skips names used at module level, in decorators, defaults, annotations, class bodies or global statements", () => {
    const source = dedent(`
      import functools
      import typing
      import enum
      import re
      import shutil
      import string
      import textwrap

      @functools.lru_cache()
      def a(x: typing.Any, flags=re.IGNORECASE):
          return x

      class B:
          kind = enum.Enum

      def c():
          global shutil
          shutil = None

      def d(value: "string.Template"):
          return value

      __all__ = ["textwrap"]
    `);
    expect(fix(source)).toBe(source);
  });

  it("moves into the outermost function when a nested function uses the name, and keeps names other modules import", () => {
    expect(fix(`
      import json
      import csv

      def outer():
          def inner():
              return json.dumps(1)
          return inner() + str(csv.QUOTE_ALL)
    `, { keep: new Set(["csv"]) })).toBe(dedent(`
      import csv

      def outer():
          import json
          def inner():
              return json.dumps(1)
          return inner() + str(csv.QUOTE_ALL)
    `));
  });

  it("moves only the requested name and lists candidates with their functions", () => {
    const source = dedent(`
      import json
      import csv

      def f():
          return json.dumps(csv.QUOTE_ALL)
    `);
    expect(findLazyImports(parser, source).map((candidate) => [candidate.name, candidate.importText, candidate.functions])).toEqual([
      ["json", "import json", ["f"]],
      ["csv", "import csv", ["f"]],
    ]);
    expect(fix(source, { name: "csv" })).toBe("import json\n\ndef f():\n    import csv\n    return json.dumps(csv.QUOTE_ALL)\n");
  });

  it("skips a function whose body shares the def line", () => {
    const source = "import json\n\ndef f(): return json.dumps(1)\n";
    expect(fix(source)).toBe(source);
  });

  it("still runs under real python after the move", () => {
    const directory = mkdtempSync(join(tmpdir(), "pyagent-lazy-"));
    try {
      const output = fix(`
        import json
        from collections import OrderedDict as OD

        def encode(pairs):
            """Encode pairs in order."""
            return json.dumps(OD(pairs))
      `);
      writeFileSync(join(directory, "codec.py"), output);
      expect(runPython(directory, "import codec, sys; print(codec.encode([('b', 1), ('a', 2)])); print('json' in vars(codec))").trim()).toBe('{"b": 1, "a": 2}\nFalse');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("line endings", () => {
  it("keeps a CRLF file CRLF when moving an import", () => {
    const source = "import json\r\n\r\ndef f():\r\n    return json.dumps(1)\r\n";
    const result = moveImportsIntoFunctions(parser, source);
    expect(result.source).toBe("def f():\r\n    import json\r\n    return json.dumps(1)\r\n");
    pyCompile(result.source);
  });
});
