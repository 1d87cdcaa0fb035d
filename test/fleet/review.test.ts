import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { buildApiIndex, reviewChange, type FleetTask } from "../../src/fleet/index.js";
import { createPythonParser } from "../../src/python/index.js";

let parser: Parser;
beforeAll(async () => (parser = await createPythonParser()));
afterAll(() => parser.delete());

const BEFORE: Record<string, string> = {
  "pkg/__init__.py": "",
  "pkg/mod.py": "import os\n__all__ = ['Listed']\n\n\nclass Listed:\n    pass\n\n\ndef helper():\n    return os.sep\n\n\ndef private():\n    return 1\n",
  "pkg/user.py": "from pkg.mod import helper\nfrom .mod import private\n",
};

/** The api index as the analysis of BEFORE gives it (the facts review needs). */
const index = buildApiIndex({
  files: [
    { path: "pkg/__init__.py", module: "pkg", isPackage: true, facts: { imports: [] } },
    { path: "pkg/mod.py", module: "pkg.mod", isPackage: false, facts: { imports: [{ module: "os", level: 0, names: [], bound: ["os"], line: 1, conditional: false }] } },
    {
      path: "pkg/user.py",
      module: "pkg.user",
      isPackage: false,
      facts: {
        imports: [
          { module: "pkg.mod", level: 0, names: ["helper"], bound: ["helper"], line: 1, conditional: false },
          { module: ".mod", level: 1, names: ["private"], bound: ["private"], line: 2, conditional: false },
        ],
      },
    },
  ],
} as never);

const task = (files: string[]): FleetTask => ({ id: "t", agent: "test", title: "refactor: test", files, benefit: 1, findings: [] });
const read = (path: string) => BEFORE[path];

describe("rule-based reviewer", () => {
  it("accepts removing an import nobody else uses", () => {
    const after = BEFORE["pkg/mod.py"]!.replace("import os\n", "import os.path as os\n");
    expect(reviewChange(parser, task(["pkg/mod.py"]), [{ path: "pkg/mod.py", content: after }], read, index)).toEqual([]);
  });

  it("rejects removing a name another module imports, through absolute and relative imports", () => {
    const after = "import os\n__all__ = ['Listed']\n\n\nclass Listed:\n    pass\n";
    const comments = reviewChange(parser, task(["pkg/mod.py"]), [{ path: "pkg/mod.py", content: after }], read, index);
    expect(comments.map((comment) => comment.message)).toEqual(["removes pkg.mod.helper, which pkg.user imports", "removes pkg.mod.private, which pkg.user imports"]);
  });

  it("rejects removing a name __all__ lists", () => {
    const after = BEFORE["pkg/mod.py"]!.replace("class Listed:\n    pass\n", "");
    expect(reviewChange(parser, task(["pkg/mod.py"]), [{ path: "pkg/mod.py", content: after }], read, index)).toEqual([
      { rule: "public-api", path: "pkg/mod.py", message: "removes Listed, which pkg.mod.__all__ lists" },
    ]);
  });

  it("rejects edits outside the task's files and source that no longer parses", () => {
    const comments = reviewChange(parser, task(["pkg/mod.py"]), [{ path: "pkg/user.py", content: "from pkg.mod import (helper\n" }], read, index);
    expect(comments.map((comment) => comment.rule).sort()).toEqual(["scope", "syntax"]);
  });

  it("accepts a module turned into a package that re-exports every imported name", () => {
    const edits = [
      { path: "pkg/mod.py", content: null },
      { path: "pkg/mod/__init__.py", content: "from .listed import Listed, helper, private\n__all__ = ['Listed']\n" },
      { path: "pkg/mod/listed.py", content: BEFORE["pkg/mod.py"]!.replace("__all__ = ['Listed']\n", "") },
    ];
    expect(reviewChange(parser, task(edits.map((edit) => edit.path)), edits, read, index)).toEqual([]);
  });

  it("rejects a split whose submodule is named after nothing it defines, and accepts one named after its main function", () => {
    const files = ["pkg/mod.py", "pkg/mod/__init__.py", "pkg/mod/path_access_error.py", "pkg/mod/_helper.py"];
    const edits = [
      { path: "pkg/mod.py", content: null },
      { path: "pkg/mod/__init__.py", content: "import os\n__all__ = ['Listed']\nfrom .path_access_error import lstrip\nfrom ._helper import Listed, helper, private\n" },
      { path: "pkg/mod/path_access_error.py", content: "def lstrip(items):\n    return items\n" },
      { path: "pkg/mod/_helper.py", content: "import os\n\n\nclass Listed:\n    pass\n\n\ndef helper():\n    return os.sep\n\n\ndef private():\n    return 1\n" },
    ];
    expect(reviewChange(parser, task(files), edits, read, index)).toEqual([
      { rule: "naming", path: "pkg/mod/path_access_error.py", message: "pkg/mod/path_access_error.py is named after nothing it defines (lstrip); name a submodule after its main class or function" },
    ]);
    const renamed = edits.map((edit) => (edit.path === "pkg/mod/path_access_error.py" ? { ...edit, path: "pkg/mod/_lstrip.py" } : edit));
    expect(reviewChange(parser, task([...files, "pkg/mod/_lstrip.py"]), renamed, read, index)).toEqual([]);
    const constants = renamed.map((edit) => (edit.path === "pkg/mod/_lstrip.py" ? { path: "pkg/mod/keywords.py", content: "KEYWORDS = {'select': 1}\n\n\ndef lstrip(items):\n    return items\n" } : edit));
    expect(reviewChange(parser, task([...files, "pkg/mod/keywords.py"]), constants, read, index)).toEqual([]);
  });
});

