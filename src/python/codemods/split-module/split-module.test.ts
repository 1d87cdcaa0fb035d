import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { createPythonParser } from "../../parse/parser.js";
import { dedent, parsesCleanly, PYTHON, runPython } from "../test-support.js";
import { splitModule, type SplitModuleResult } from "./index.js";
import { shopFixture } from "./test-fixture.js";

let parser: Parser;
const directories: string[] = [];
beforeAll(async () => {
  parser = await createPythonParser();
});
afterAll(() => directories.forEach((directory) => rmSync(directory, { recursive: true, force: true })));

function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "pyagent-split-"));
  directories.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function applySplit(root: string, result: SplitModuleResult): void {
  if (result.state !== "split") throw new Error(`refused: ${result.reason}`);
  for (const file of result.files) {
    if (file.content === null) unlinkSync(join(root, file.path));
    else {
      mkdirSync(dirname(join(root, file.path)), { recursive: true });
      writeFileSync(join(root, file.path), file.content);
    }
  }
}

/**
 * Names each file reads as globals but does not bind (and are not builtins), by Python's own
 * symtable: a part that reads a name it neither defines nor imports would raise NameError.
 */
function unresolvedGlobals(root: string, paths: readonly string[]): Record<string, string[]> {
  const script = [
    "import builtins, json, symtable, sys",
    "def reads(table, out):",
    "    for symbol in table.get_symbols():",
    "        if symbol.is_referenced() and (table.get_type() == 'module' or symbol.is_global()):",
    "            out.add(symbol.get_name())",
    "    for child in table.get_children():",
    "        reads(child, out)",
    "    return out",
    "result = {}",
    "for path in sys.argv[1:]:",
    "    table = symtable.symtable(open(path).read(), path, 'exec')",
    "    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}",
    "    result[path] = sorted(reads(table, set()) - bound - set(dir(builtins)) - {'__file__', '__name__', '__doc__'})",
    "print(json.dumps(result))",
  ].join("\n");
  return JSON.parse(execFileSync(PYTHON, ["-c", script, ...paths], { cwd: root, encoding: "utf8" })) as Record<string, string[]>;
}

function pytest(root: string): string {
  return execFileSync(PYTHON, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
}

describe("splitModule", () => {
  it("splits a 600+ line module into cohesive parts; every import and the test suite still work", () => {
    const files = shopFixture();
    const source = files["shop/inventory.py"]!;
    expect(source.split("\n").length).toBeGreaterThan(600);
    const root = writeTree(files);
    expect(pytest(root)).toMatch(/5 passed/);
    // Every public name defined in the module, plus the private helper report.py imports.
    const names = JSON.parse(
      runPython(
        root,
        [
          "import ast, json, shop.inventory as m",
          "tree = ast.parse(open(m.__file__).read())",
          "imported = {a.asname or a.name.split('.')[0] for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}",
          "print(json.dumps(sorted(n for n in vars(m) if not n.startswith('_') and n not in imported) + ['_normalize_sku']))",
        ].join("\n"),
      ),
    ) as string[];
    expect(names.length).toBeGreaterThan(50);

    const result = splitModule(parser, source, { path: "shop/inventory.py", module: "shop.inventory", maxLines: 500, keep: new Set(["_normalize_sku", "Item"]) });
    applySplit(root, result);
    if (result.state !== "split") return;

    expect(result.parts.length).toBeGreaterThanOrEqual(2);
    for (const part of result.parts) expect(part.lines).toBeLessThan(500);
    for (const file of result.files) if (file.content !== null) expect(parsesCleanly(parser, file.content)).toBe(true);
    // Classes and functions that reference each other stay together.
    const partOf = (name: string) => result.parts.findIndex((part) => part.names.includes(name));
    expect(partOf("Money")).toBe(partOf("apply_tax"));
    expect(partOf("Warehouse")).toBe(partOf("Item"));
    expect(partOf("validate_field_3")).toBe(partOf("_message"));
    expect(partOf("register")).toBe(partOf("EVENT_HANDLERS"));
    // Parts import only from parts before them: no import cycles.
    result.parts.forEach((part, index) => {
      const content = result.files.find((file) => file.path === part.path)!.content!;
      for (const match of content.matchAll(/^from \.(\w+) import/gm)) {
        expect(result.parts.findIndex((other) => other.module.endsWith(`.${match[1]}`))).toBeLessThan(index);
      }
    });
    // Comments, docstrings and decorators move byte for byte; relative imports gain a dot.
    const all = result.files.map((file) => file.content ?? "").join("\n");
    for (const text of ["# Two decimals, currency after the amount, like the invoices do.", '"""Upper-case and strip a SKU; report.py uses this too."""', '@register("stock-removed")\ndef _log_removed', "TAX_RATE = Decimal(\"0.20\")  # standard rate", "from .. import config"]) {
      expect(all).toContain(text);
    }

    // `python3 -c "from shop.inventory import X"`, a fresh interpreter for every X.
    for (const name of names) expect(runPython(root, `from shop.inventory import ${name}; print("ok")`).trim()).toBe("ok");
    expect(runPython(root, `from shop.inventory import ${names.join(", ")}; import shop.inventory as m; print(sorted(m.__all__))`).trim()).toBe(
      "['Item', 'Money', 'Warehouse', 'emit', 'register', 'slugify', 'validate']",
    );
    expect(pytest(root)).toMatch(/5 passed/);
    const written = result.files.filter((file) => file.content !== null).map((file) => file.path);
    expect(Object.values(unresolvedGlobals(root, written)).flat()).toEqual([]);
    expect(execFileSync(PYTHON, ["-m", "shop.inventory"], { cwd: root, encoding: "utf8" }).trim()).toBe('13.50 EUR {"ABC-0001": 3}');
  });

  it("refuses modules whose parts could not keep their meaning", () => {
    const star = splitModule(parser, "from os import *\n\ndef a():\n    return 1\n\ndef b():\n    return 2\n", { path: "m.py", module: "m", maxLines: 1 });
    expect(star).toMatchObject({ state: "refused" });
    const file = splitModule(parser, "import os\nHERE = os.path.dirname(__file__)\n\ndef a():\n    return 1\n", { path: "m.py", module: "m", maxLines: 1 });
    expect(file).toMatchObject({ state: "refused" });
    const tangled = splitModule(parser, "def a():\n    return b()\n\ndef b():\n    return a()\n", { path: "m.py", module: "m", maxLines: 1 });
    expect(tangled).toMatchObject({ state: "refused" });
  });

  it("copies TYPE_CHECKING blocks and only the imports each part reads", () => {
    const source = dedent(`
      import os
      import sys
      from typing import TYPE_CHECKING

      if TYPE_CHECKING:
          from collections import OrderedDict

      def first(path) -> "OrderedDict":
          return os.path.basename(path)

      def second():
          return sys.argv
    `);
    const result = splitModule(parser, source, { path: "lib/m.py", module: "lib.m", maxLines: 2 });
    expect(result.state).toBe("split");
    if (result.state !== "split") return;
    const byPath = new Map(result.files.map((file) => [file.path, file.content]));
    expect(byPath.get("lib/m.py")).toBeNull();
    expect(byPath.get("lib/m/_first.py")).toBe(
      '"""first and what it needs, split out of lib.m (which re-exports its names)."""\n\nimport os\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from collections import OrderedDict\n\n\ndef first(path) -> "OrderedDict":\n    return os.path.basename(path)\n',
    );
    expect(byPath.get("lib/m/_second.py")).toBe('"""second and what it needs, split out of lib.m (which re-exports its names)."""\n\nimport sys\n\n\ndef second():\n    return sys.argv\n');
    expect(byPath.get("lib/m/__init__.py")).toBe(
      [
        "import os",
        "import sys",
        "from typing import TYPE_CHECKING",
        "if TYPE_CHECKING:",
        "    from collections import OrderedDict",
        "",
        "from ._first import first",
        "from ._second import second",
        "",
        "# Moved classes and functions keep lib.m as their module: pickles, reprs and docs name it as before.",
        "for _moved in (first, second):",
        "    _moved.__module__ = __name__",
        "del _moved",
        "",
      ].join("\n"),
    );
  });
});

describe("splitModule bindings", () => {
  const split = (source: string, keep: string[] = []) => splitModule(parser, dedent(source), { path: "m.py", module: "m", maxLines: 2, keep: new Set(keep) });

  it("re-exports a name bound only on some paths exactly when it exists, and keeps its readers with it", () => {
    const result = split(`
      import select

      class Base:
          pass

      if hasattr(select, "epoll"):
          class Epoll(Base):
              pass

      def best():
          return Epoll

      def other():
          return 1
    `);
    expect(result.state).toBe("split");
    if (result.state !== "split") return;
    const init = result.files.find((file) => file.path === "m/__init__.py")!.content!;
    expect(init).toMatch(/try:\n    from \.\w+ import Epoll\nexcept ImportError:\n    pass\n/);
    const partOf = (name: string) => result.parts.findIndex((part) => part.names.includes(name));
    expect(partOf("best")).toBe(partOf("Epoll"));
    const root = writeTree(Object.fromEntries(result.files.filter((file) => file.content !== null).map((file) => [file.path, file.content!])));
    expect(runPython(root, "import m; print(hasattr(m, 'Epoll') == hasattr(__import__('select'), 'epoll'), m.other())").trim()).toBe("True 1");
  });

  it("never re-exports comprehension variables, except targets or deleted names", () => {
    const result = split(`
      TABLE = {name: index for index, name in enumerate("abc")}
      try:
          import json
      except ImportError as error:
          json = None
      _tmp = 1
      LIMIT = _tmp * 2
      del _tmp

      def lookup(name):
          return TABLE[name], json

      def limit():
          return LIMIT
    `);
    expect(result.state).toBe("split");
    if (result.state !== "split") return;
    expect(result.reexported).not.toContain("index");
    expect(result.reexported).not.toContain("name");
    expect(result.reexported).not.toContain("error");
    expect(result.reexported).not.toContain("_tmp");
    const root = writeTree(Object.fromEntries(result.files.filter((file) => file.content !== null).map((file) => [file.path, file.content!])));
    expect(runPython(root, "from m import TABLE, LIMIT, lookup, limit; print(lookup('b')[0], limit())").trim()).toBe("1 2");
  });

  it("refuses star imports inside blocks, public names rebound through global, and __name__ handed to module code", () => {
    expect(split("try:\n    from _heapq import *\nexcept ImportError:\n    pass\n\ndef a():\n    return 1\n\ndef b():\n    return 2\n")).toMatchObject({ state: "refused" });
    expect(split("state = None\n\ndef reset():\n    global state\n    state = 1\n\ndef other():\n    return 2\n")).toMatchObject({ state: "refused" });
    expect(split("import enum\nenum.IntEnum._convert_('Mode', __name__, lambda name: name.startswith('M_'))\n\ndef a():\n    return 1\n\ndef b():\n    return 2\n")).toMatchObject({
      state: "refused",
    });
    expect(split("import logging\nlog = logging.getLogger(__name__)\n\ndef a():\n    log.info('a')\n\ndef b():\n    return 2\n")).toMatchObject({ state: "split" });
  });
});

describe("splitModule keeps the module's face", () => {
  const CONFIG = dedent(`
    """Config helpers."""
    import codecs
    import json

    _UNSET = object()


    class Setting:
        def __init__(self, name, value=_UNSET):
            self.name = name
            self.value = value

        def is_set(self):
            return self.value is not _UNSET


    def settings(names):
        return [Setting(name) for name in names]


    def decode(data):
        return codecs.decode(data, "utf-8")


    def _strip(text):
        return text.strip()


    def clean(text):
        return _strip(decode(text))
  `);
  const PROBE = [
    "import json, pickle, sys",
    "import m",
    "names = sorted(dir(m))",
    "setting = pickle.loads(pickle.dumps(m.Setting('a', 1)))",
    "print(json.dumps({'names': names, 'module': m.Setting.__module__, 'clean': m.clean.__module__, 'value': setting.value, 'same': pickle.loads(pickle.dumps(m.Setting)) is m.Setting}))",
  ].join("\n");

  it("keeps every name importable, private ones and imported modules too, and each moved class's __module__ and pickles", () => {
    const result = splitModule(parser, CONFIG, { path: "m.py", module: "m", maxLines: 8 });
    expect(result.state).toBe("split");
    if (result.state !== "split") return;
    expect(result.parts.length).toBeGreaterThanOrEqual(2);
    const before = JSON.parse(runPython(writeTree({ "m.py": CONFIG }), PROBE));
    const after = JSON.parse(runPython(writeTree(Object.fromEntries(result.files.filter((file) => file.content !== null).map((file) => [file.path, file.content!]))), PROBE));
    expect(before.names).toEqual(expect.arrayContaining(["_UNSET", "_strip", "codecs", "json"]));
    expect(after.names).toEqual(expect.arrayContaining(before.names.filter((name: string) => !["__file__", "__cached__"].includes(name))));
    expect(after).toMatchObject({ module: "m", clean: "m", value: 1, same: true });
  });

  it("refuses test modules and moved code with doctests", () => {
    expect(splitModule(parser, CONFIG, { path: "tests/test_config.py", module: "tests.test_config", maxLines: 8 })).toMatchObject({ state: "refused", reason: expect.stringMatching(/test module/) });
    expect(splitModule(parser, CONFIG, { path: "pkg/config_test.py", module: "pkg.config_test", maxLines: 8 })).toMatchObject({ state: "refused" });
    expect(splitModule(parser, CONFIG, { path: "pkg/conftest.py", module: "pkg.conftest", maxLines: 8 })).toMatchObject({ state: "refused" });
    const doctested = CONFIG.replace("def decode(data):\n", 'def decode(data):\n    """Decode.\n\n    >>> decode(b"a")\n    \'a\'\n    """\n');
    expect(splitModule(parser, doctested, { path: "m.py", module: "m", maxLines: 8 })).toMatchObject({ state: "refused", reason: expect.stringMatching(/doctests/) });
  });

  it("names a part after its most prominent public definition, not a small class it holds", () => {
    const source = dedent(`
      class PathAccessError(KeyError):
          pass


      def get_path(root, path):
          current = root
          for key in path:
              try:
                  current = current[key]
              except (KeyError, IndexError):
                  raise PathAccessError(key)
          return current


      def lstrip(items, value):
          items = list(items)
          while items and items[0] == value:
              items.pop(0)
          return items


      def rstrip(items, value):
          return lstrip(items[::-1], value)[::-1]
    `);
    const result = splitModule(parser, source, { path: "m.py", module: "m", maxLines: 14 });
    expect(result.state).toBe("split");
    if (result.state !== "split") return;
    expect(result.parts.find((part) => part.names.includes("PathAccessError"))).toMatchObject({ path: "m/_get_path.py", names: ["PathAccessError", "get_path"] });
    for (const part of result.parts) expect(part.names).toContain(part.path.replace(/^m\/_?|\.py$/g, ""));
  });
});

describe("splitModule line endings", () => {
  it("writes CRLF parts for a CRLF module", () => {
    const result = splitModule(parser, "import os\r\n\r\n\r\ndef first():\r\n    return os.sep\r\n\r\n\r\ndef second():\r\n    return 2\r\n", { path: "m.py", module: "m", maxLines: 2 });
    expect(result.state).toBe("split");
    if (result.state !== "split") return;
    for (const file of result.files) if (file.content !== null) expect(file.content).not.toMatch(/(^|[^\r])\n/);
  });
});
