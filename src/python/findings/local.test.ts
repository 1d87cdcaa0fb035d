import { describe, expect, it } from "vitest";
import type { Finding } from "../types.js";
import { extractFacts } from "./facts.js";
import { localFindings } from "./local.js";
import { parserFixture } from "./test-support.js";

const { parse } = parserFixture();

function findings(source: string, options: { isPackageInit?: boolean } = {}): Finding[] {
  const root = parse(source).rootNode;
  const facts = extractFacts(root, source);
  return localFindings(root, source, "pkg/module.py", facts, { isPackageInit: options.isPackageInit ?? false });
}

function symbols(source: string, rule: Finding["rule"], options: { isPackageInit?: boolean } = {}): string[] {
  return findings(source, options)
    .filter((finding) => finding.rule === rule)
    .map((finding) => finding.symbol ?? "");
}

describe("unused imports", () => {
  it("reports an import whose name is never read, with vulture's message and confidence", () => {
    const [finding] = findings("import os\nimport sys\nprint(sys.argv)\n");
    expect(finding).toMatchObject({ rule: "unused-import", line: 1, message: "unused import 'os'", confidence: 90, symbol: "os" });
  });

  it("keeps an import re-exported through __all__", () => {
    expect(symbols("from .models import User, Group\n__all__ = ['User']\n", "unused-import")).toEqual(["Group"]);
  });

  it("keeps names listed by __all__ += and __all__.extend", () => {
    const source = "from a import x, y, z\n__all__ = []\n__all__ += ['x']\n__all__.extend(['y'])\n";
    expect(symbols(source, "unused-import")).toEqual(["z"]);
  });

  it("never reports module-level imports of a package __init__ (they are its public face)", () => {
    const source = "from .core import run\nimport os\ndef helper():\n    import json\n    return 1\n";
    expect(symbols(source, "unused-import", { isPackageInit: true })).toEqual(["json"]);
  });

  it("honours # noqa and # noqa: F401 on the line, and anywhere in a parenthesized import", () => {
    const source = [
      "import os  # noqa",
      "import sys  # noqa: F401",
      "import re  # noqa: E501",
      "from typing import (",
      "    Any,",
      "    Dict,  # noqa: F401",
      ")",
    ].join("\n");
    expect(symbols(source, "unused-import")).toEqual(["re"]);
  });

  it("ignores from __future__ imports", () => {
    expect(findings("from __future__ import annotations\nx = 1\n")).toEqual([]);
  });

  it("does not report side-effect modules such as readline", () => {
    expect(symbols("import readline\nimport rlcompleter\nimport json\n", "unused-import")).toEqual(["json"]);
  });

  it("binds the top-level package for import a.b and counts a.c as a use", () => {
    expect(symbols("import os.path\nprint(os.sep)\n", "unused-import")).toEqual([]);
    expect(symbols("import xml.dom\n", "unused-import")).toEqual(["xml"]);
  });

  it("keeps an unused import a.b when another import of a relies on the submodule being loaded", () => {
    const source = "import multiprocessing as mp\nimport multiprocessing.connection\nmp.connection.wait([])\n";
    expect(symbols(source, "unused-import")).toEqual([]);
  });

  it("treats import x as x and from m import y as y as explicit re-exports", () => {
    expect(symbols("import numpy as numpy\nfrom m import y as y\nfrom m import z as w\n", "unused-import")).toEqual(["w"]);
  });

  it("keeps imports inside try/except ImportError (availability checks)", () => {
    const source = "try:\n    import numpy\n    HAS_NUMPY = True\nexcept ImportError:\n    HAS_NUMPY = False\n";
    expect(symbols(source, "unused-import")).toEqual([]);
  });

  it("counts names used only in string annotations and in type comments", () => {
    const source = [
      "from typing import TYPE_CHECKING, Optional, List",
      "if TYPE_CHECKING:",
      "    from .graph import Node, Edge",
      "def first(nodes: 'List[Node]') -> Optional['Edge']:",
      "    pass",
      "def legacy(x):",
      "    # type: (int) -> Tuple",
      "    return x",
    ].join("\n");
    expect(symbols(source, "unused-import")).toEqual([]);
  });

  it("counts del and global statements as uses", () => {
    expect(symbols("import tempfile\ndel tempfile\n", "unused-import")).toEqual([]);
    expect(symbols("import cache\ndef reset():\n    global cache\n    cache = None\n", "unused-import")).toEqual([]);
  });

  it("decides an import declared global inside a function with the module's later reads", () => {
    const source = "def setup():\n    global np\n    import numpy as np\ndef use():\n    return np.zeros(3)\n";
    expect(symbols(source, "unused-import")).toEqual([]);
  });

  it("reports an unused import inside a function even when the module uses the name elsewhere", () => {
    const source = "import json\ndef f():\n    import json\n    return 1\ndef g():\n    return json.dumps({})\n";
    const found = findings(source).filter((finding) => finding.rule === "unused-import");
    expect(found.map((finding) => finding.line)).toEqual([3]);
  });

  it("does not report imports that bind dunder names (import of a module's __all__ or __doc__)", () => {
    expect(symbols("from _impl import __all__, __doc__\n", "unused-import")).toEqual([]);
  });

  it("lowers confidence for a public name imported from a private module (a likely re-export)", () => {
    const [finding] = findings("from _ssl import MemoryBIO\ndef f():\n    pass\n");
    expect(finding).toMatchObject({ symbol: "MemoryBIO", confidence: 50 });
  });

  it("lowers confidence for the imports of a facade module (no definitions, mostly unused imports)", () => {
    const facade = "from pkg.lexers.c import CLexer\nfrom pkg.lexers.go import GoLexer\n__all__ = []\n";
    expect(findings(facade).map((finding) => finding.confidence)).toEqual([50, 50]);
    const script = "import os\nimport sys\nimport json\nprint(sys.argv, json.dumps(os.sep))\nimport re\n";
    expect(findings(script).map((finding) => [finding.symbol, finding.confidence])).toEqual([["re", 90]]);
  });

  it("lowers confidence when the module reads globals by computed name, and skips functions calling locals()", () => {
    const source = "import json\ndef load(name):\n    return globals()[name]\ndef f():\n    import re\n    return locals()\n";
    expect(findings(source).map((finding) => [finding.symbol, finding.confidence])).toEqual([["json", 50]]);
  });
});

describe("unused local variables", () => {
  it("reports a local assigned and never read, at the assignment line", () => {
    const source = "def f():\n    x = compute()\n    y = 2\n    return y\n";
    expect(findings(source)).toEqual([
      expect.objectContaining({ rule: "unused-variable", line: 2, symbol: "x", message: "unused variable 'x'" }),
    ]);
  });

  it("counts reads in nested functions (closures) and nonlocal declarations", () => {
    const source = [
      "def outer():",
      "    total = 0",
      "    count = 0",
      "    def add():",
      "        nonlocal count",
      "        count = 1",
      "        return total",
      "    return add",
    ].join("\n");
    expect(symbols(source, "unused-variable")).toEqual([]);
  });

  it("does not report globals, _-prefixed names or functions that call locals()", () => {
    const source = [
      "def a():",
      "    global counter",
      "    counter = 1",
      "    _scratch = 2",
      "    _ = 3",
      "def b():",
      "    name = 'x'",
      "    return '%(name)s' % locals()",
    ].join("\n");
    expect(symbols(source, "unused-variable")).toEqual([]);
  });

  it("leaves tuple unpacking, for targets and with targets alone (the fix is a rename, not a deletion)", () => {
    const source = [
      "def f(pairs):",
      "    head, tail = pairs",
      "    for key, value in pairs:",
      "        pass",
      "    with open('x') as handle:",
      "        pass",
      "    return head",
    ].join("\n");
    expect(symbols(source, "unused-variable")).toEqual([]);
  });

  it("counts augmented assignment as a read", () => {
    expect(symbols("def f():\n    n = 0\n    n += 1\n", "unused-variable")).toEqual([]);
  });

  it("reports an unused exception variable", () => {
    const source = "def f():\n    try:\n        pass\n    except ValueError as error:\n        return None\n";
    expect(findings(source)).toEqual([
      expect.objectContaining({ rule: "unused-variable", line: 4, symbol: "error", message: "unused exception variable 'error'" }),
    ]);
  });

  it("does not report module-level or class-level assignments", () => {
    expect(symbols("LIMIT = 3\nclass C:\n    size = 1\n", "unused-variable")).toEqual([]);
  });

  it("counts a read after del and reads in f-strings", () => {
    expect(symbols("def f():\n    a = 1\n    del a\n    b = 2\n    return f'{b}'\n", "unused-variable")).toEqual([]);
  });
});

describe("robustness", () => {
  it("analyzes a generated 20,000-term expression without overflowing the stack", () => {
    const terms = Array.from({ length: 20_000 }, (_, index) => `a${index}`).join(" + ");
    const source = `def f():\n    unused = 1\n    total = ${terms}\n    return total\n`;
    expect(symbols(source, "unused-variable")).toEqual(["unused"]);
  });
});

describe("unreachable code", () => {
  it("reports statements after return, raise, continue and break, spanning the rest of the block", () => {
    const source = [
      "def f(items):",
      "    for item in items:",
      "        if item:",
      "            continue",
      "            print('never')",
      "        break",
      "        print('never')",
      "    return 1",
      "    # a comment is not code",
      "    x = 2",
      "    y = 3",
    ].join("\n");
    const found = findings(source).filter((finding) => finding.rule === "unreachable-code");
    expect(found.map((finding) => [finding.line, finding.endLine, finding.message])).toEqual([
      [5, 5, "unreachable code after 'continue'"],
      [7, 7, "unreachable code after 'break'"],
      [10, 11, "unreachable code after 'return'"],
    ]);
  });

  it("mirrors vulture's constant conditions: if False, while 0, else after if True, ternaries", () => {
    const source = [
      "if False:",
      "    a = 1",
      "while 0:",
      "    b = 1",
      "if True:",
      "    c = 1",
      "else:",
      "    d = 1",
      "e = 1 if not True else 2",
      "while 1:",
      "    break",
      "else:",
      "    f = 1",
    ].join("\n");
    const found = findings(source).filter((finding) => finding.rule === "unreachable-code");
    expect(found.map((finding) => [finding.line, finding.message])).toEqual([
      [1, "unsatisfiable 'if' condition"],
      [3, "unsatisfiable 'while' condition"],
      [8, "unreachable 'else' block"],
      [9, "unsatisfiable 'ternary' condition"],
      [13, "unreachable 'else' block"],
    ]);
  });

  it("reports code after a while True loop that no break leaves, but not after one with a break", () => {
    const source = [
      "def serve():",
      "    while True:",
      "        for item in queue:",
      "            break",
      "        handle()",
      "    cleanup()",
      "def poll():",
      "    while 1:",
      "        if ready():",
      "            break",
      "    return done()",
      "def normalize(segments):",
      "    while 1:",
      "        for item in segments:",
      "            pass",
      "        else:",
      "            break",
      "    return segments",
    ].join("\n");
    const found = findings(source).filter((finding) => finding.rule === "unreachable-code");
    expect(found.map((finding) => [finding.line, finding.message])).toEqual([[6, "unreachable code after 'while'"]]);
  });

  it("does not treat names, TYPE_CHECKING or while True without else as unreachable", () => {
    const source = "if TYPE_CHECKING:\n    import x\nwhile True:\n    break\nif DEBUG:\n    pass\n";
    expect(findings(source).filter((finding) => finding.rule === "unreachable-code")).toEqual([]);
  });

  it("is silenced by # noqa: V201", () => {
    expect(findings("def f():\n    return 1\n    cleanup()  # noqa: V201\n")).toEqual([]);
  });
});
