import { beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { createPythonParser } from "../parse/parser.js";
import { dedent, parsesCleanly, pyCompile } from "./test-support.js";
import { removeUnusedImports, type UnusedImportsOptions } from "./unused-imports.js";

let parser: Parser;
beforeAll(async () => {
  parser = await createPythonParser();
});

/** Runs the codemod, checks the output parses and compiles, and that a second run changes nothing. */
function fix(input: string, options: UnusedImportsOptions = {}): string {
  const source = dedent(input);
  const first = removeUnusedImports(parser, source, options);
  expect(parsesCleanly(parser, first.source)).toBe(true);
  pyCompile(first.source);
  const again = removeUnusedImports(parser, first.source, options);
  expect(again.source).toBe(first.source);
  expect(again.changes).toEqual([]);
  return first.source;
}

describe("removeUnusedImports", () => {
  it("drops a whole unused `import x` line with its trailing comment", () => {
    expect(fix(`
      import os  # for paths
      import sys

      print(sys.argv)
    `)).toBe(dedent(`
      import sys

      print(sys.argv)
    `));
  });

  it("removes an unused import but keeps __all__ re-exports", () => {
    expect(fix(`
      from .models import User, Group, helper
      import json

      __all__ = ["User", "Group"]
    `)).toBe(dedent(`
      from .models import User, Group

      __all__ = ["User", "Group"]
    `));
  });

  it("keeps a side-effect import such as readline", () => {
    const source = "import readline\nimport rlcompleter\nimport os\n";
    expect(fix(source)).toBe("import readline\nimport rlcompleter\n");
  });

  it("keeps imports marked # noqa and explicit `x as x` re-exports", () => {
    const source = "import os  # noqa\nimport sys  # noqa: F401\nfrom m import a as a\nimport json  # noqa: E501\n";
    expect(fix(source)).toBe("import os  # noqa\nimport sys  # noqa: F401\nfrom m import a as a\n");
  });

  it("keeps every import of a package __init__.py", () => {
    const source = "from .core import run\nimport os\n";
    expect(fix(source, { isPackageInit: true })).toBe(source);
  });

  it("drops one name from `from m import a, b, c` keeping the commas well formed", () => {
    expect(fix("from m import a, b, c\nprint(a, c)\n")).toBe("from m import a, c\nprint(a, c)\n");
    expect(fix("from m import a, b, c\nprint(b)\n")).toBe("from m import b\nprint(b)\n");
    expect(fix("from m import a, b, c  # why\nprint(a)\n")).toBe("from m import a  # why\nprint(a)\n");
    expect(fix("import os, sys, json\nprint(sys)\n")).toBe("import sys\nprint(sys)\n");
  });

  it("drops names from a multi-line parenthesized import with comments", () => {
    expect(fix(`
      from pkg.mod import (
          alpha,  # the first
          beta,  # the second, unused
          gamma,
          delta
      )

      alpha(gamma)
    `)).toBe(dedent(`
      from pkg.mod import (
          alpha,  # the first
          gamma,
      )

      alpha(gamma)
    `));
    expect(fix("from m import (a,\n               b)\nprint(a)\n")).toBe("from m import (a)\nprint(a)\n");
    expect(fix("from m import (a, b,)\nprint(a)\n")).toBe("from m import (a,)\nprint(a)\n");
    expect(fix("from m import a, \\\n    b\nprint(b)\n")).toBe("from m import b\nprint(b)\n");
  });

  it("inserts pass when an `if TYPE_CHECKING:` or `try:` body becomes empty", () => {
    expect(fix(`
      from typing import TYPE_CHECKING

      if TYPE_CHECKING:
          from collections import OrderedDict

      def f():
          try:
              import json
          finally:
              print("done")
    `)).toBe(dedent(`
      from typing import TYPE_CHECKING

      if TYPE_CHECKING:
          pass

      def f():
          try:
              pass
          finally:
              print("done")
    `));
  });

  it("keeps an availability check inside try/except ImportError", () => {
    const source = "try:\n    import ujson\nexcept ImportError:\n    HAVE_UJSON = False\n";
    expect(fix(source)).toBe(source);
  });

  it("counts forward references, `# type:` comments and attribute reads as uses", () => {
    const source = dedent(`
      import os.path
      from typing import List
      from decimal import Decimal
      import collections

      def f(x: "List[Decimal]") -> None:
          y = []  # type: collections.OrderedDict
          return os.path.join(x, y)
    `);
    expect(fix(source)).toBe(source);
  });

  it("limits itself to the names it is given and handles semicolons", () => {
    expect(fix("import os; import sys\nimport json\n", { names: new Set(["sys", "json"]) })).toBe("import os\n");
    expect(fix("import os.path as p, re\n", { names: new Set(["os.path"]) })).toBe("import re\n");
  });

  it("leaves a file that does not parse untouched", () => {
    const source = "import os\ndef broken(:\n";
    expect(removeUnusedImports(parser, source)).toEqual({ source, changes: [] });
  });
});

describe("removeUnusedImports layout", () => {
  it("keeps dunder imports that set module metadata and leaves no double blank line", () => {
    expect(fix("import os\n\nfrom _struct import __doc__\n\nimport json\n\nprint(os)\n")).toBe("import os\n\nfrom _struct import __doc__\n\nprint(os)\n");
  });
});

describe("removeUnusedImports and dynamic namespaces", () => {
  it("keeps every import of a module that reads its names through globals(), eval or a computed __all__", () => {
    for (const tail of ["def get(name):\n    return globals()[name]\n", "__all__ = [name for name in dir() if not name.startswith('_')]\n", "def __getattr__(name):\n    return 1\n"]) {
      const source = `import json\nfrom os import path\n\n${tail}`;
      expect(fix(source)).toBe(source);
    }
    expect(fix("import json\nimport os\n__all__ = ['json']\n__all__ += ['x']\n")).toBe("import json\n__all__ = ['json']\n__all__ += ['x']\n");
  });
});
