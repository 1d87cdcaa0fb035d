import { describe, expect, it } from "vitest";
import type { ImportFact } from "../types.js";
import { importCycles, resolveImport } from "./imports.js";
import { parserFixture } from "./test-support.js";

const { project } = parserFixture();


function fact(module: string, names: string[] = []): ImportFact {
  let level = 0;
  while (module[level] === ".") level++;
  return { module, level, names, bound: names, line: 1, conditional: false };
}

const KNOWN = new Set(["pkg", "pkg.models", "pkg.sub", "pkg.sub.deep", "other"]);

describe("resolveImport", () => {
  it("resolves absolute imports to the deepest known module", () => {
    expect(resolveImport("other", false, fact("pkg.sub.deep"), KNOWN)).toEqual(["pkg.sub.deep"]);
    expect(resolveImport("other", false, fact("pkg.sub.missing"), KNOWN)).toEqual(["pkg.sub"]);
    expect(resolveImport("other", false, fact("os.path"), KNOWN)).toEqual([]);
  });

  it("resolves from-imports of submodules and of names", () => {
    expect(resolveImport("other", false, fact("pkg", ["models", "VERSION"]), KNOWN)).toEqual(["pkg.models", "pkg"]);
    expect(resolveImport("other", false, fact("pkg.models", ["User"]), KNOWN)).toEqual(["pkg.models"]);
    expect(resolveImport("other", false, fact("pkg", ["*"]), KNOWN)).toEqual(["pkg"]);
  });

  it("resolves relative imports from modules and from packages", () => {
    expect(resolveImport("pkg.sub.deep", false, fact(".", ["x"]), KNOWN)).toEqual(["pkg.sub"]);
    expect(resolveImport("pkg.sub.deep", false, fact("..models", ["User"]), KNOWN)).toEqual(["pkg.models"]);
    expect(resolveImport("pkg.sub", true, fact(".deep", ["f"]), KNOWN)).toEqual(["pkg.sub.deep"]);
    expect(resolveImport("pkg", true, fact(".", ["models"]), KNOWN)).toEqual(["pkg.models"]);
    expect(resolveImport("pkg", true, fact("...", ["x"]), KNOWN)).toEqual([]);
  });
});

describe("importCycles", () => {
  it("finds modules that import each other at load time, sorted", () => {
    const modules = project({
      "pkg/__init__.py": "from . import b\n",
      "pkg/a.py": "from pkg.b import g\n",
      "pkg/b.py": "import pkg.c\n",
      "pkg/c.py": "from .a import f\n",
      "pkg/d.py": "import pkg.d\n",
      "pkg/e.py": "import pkg.a\n",
    });
    expect(importCycles(modules)).toEqual([["pkg.a", "pkg.b", "pkg.c"], ["pkg.d"]]);
  });

  it("ignores imports inside functions, under TYPE_CHECKING and under __main__ guards", () => {
    const modules = project({
      "a.py": "import b\n",
      "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\ndef later():\n    import a\nif __name__ == '__main__':\n    import a\n",
    });
    expect(importCycles(modules)).toEqual([]);
  });

  it("counts imports inside try blocks and class bodies, which run at load time", () => {
    const modules = project({ "a.py": "try:\n    import b\nexcept ImportError:\n    b = None\n", "b.py": "class C:\n    import a\n" });
    expect(importCycles(modules)).toEqual([["a", "b"]]);
  });
});
