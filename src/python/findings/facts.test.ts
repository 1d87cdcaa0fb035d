import { describe, expect, it } from "vitest";
import { extractFacts } from "./facts.js";
import { parserFixture } from "./test-support.js";

const { parse, facts } = parserFixture();


const SOURCE = [
  "import os.path, json as j", // 1
  "from ..core import (Engine,", // 2
  "    Model as M)", // 3
  "from . import *", // 4
  "__all__ = ['Public', 'helper']", // 5
  "LIMIT = 10", // 6
  "@app.route('/')", // 7
  "def index():", // 8
  "    return helper()", // 9
  "def helper():", // 10
  "    import re", // 11
  "    return re.compile(os.sep)", // 12
  "class Public(Base, metaclass=Meta):", // 13
  "    size: int = 0", // 14
  "    kind = 'x'", // 15
  "    def __init__(self):", // 16
  "        self.items = []", // 17
  "    @property", // 18
  "    def count(self):", // 19
  "        return len(self.items)", // 20
  "    @count.setter", // 21
  "    def count(self, value):", // 22
  "        pass", // 23
  "if __name__ == '__main__':", // 24
  "    import sys", // 25
  "    getattr(Public(), 'kind')", // 26
].join("\n");

describe("extractFacts", () => {
  it("lists definitions with qualified names, kinds, lines and conventions", () => {
    const definitions = facts(SOURCE).definitions.map((d) => [d.name, d.kind, d.line, d.implicitlyUsed, d.startLine]);
    expect(definitions).toEqual([
      ["LIMIT", "variable", 6, false, undefined],
      ["index", "function", 8, true, 7],
      ["helper", "function", 10, true, undefined],
      ["Public", "class", 13, true, undefined],
      ["Public.size", "attribute", 14, true, undefined],
      ["Public.kind", "attribute", 15, false, undefined],
      ["Public.__init__", "method", 16, true, undefined],
      ["Public.items", "attribute", 17, false, undefined],
      ["Public.count", "property", 19, false, 18],
    ]);
    expect(facts(SOURCE).definitions.find((d) => d.name === "Public")?.bases).toEqual(["Base"]);
  });

  it("records imports with level, names, bound names and whether they run at load time", () => {
    const imports = facts(SOURCE).imports.map((i) => [i.module, i.level, i.names, i.bound, i.line, i.conditional, i.loadTime]);
    expect(imports).toEqual([
      ["os.path", 0, [], ["os"], 1, false, true],
      ["json", 0, [], ["j"], 1, false, true],
      ["..core", 2, ["Engine", "Model"], ["Engine", "M"], 2, false, true],
      [".", 1, ["*"], [], 4, false, true],
      ["re", 0, [], ["re"], 11, true, false],
      ["sys", 0, [], ["sys"], 25, true, false],
    ]);
  });

  it("collects read names, attribute names, getattr strings and __all__", () => {
    const result = facts(SOURCE);
    expect(result.dunderAll).toEqual(["Public", "helper"]);
    for (const name of ["helper", "os", "sep", "compile", "items", "kind", "Public", "app", "route", "len"]) {
      expect(result.usedNames).toContain(name);
    }
    expect(result.usedNames).not.toContain("LIMIT");
  });

  it("records best-effort calls with the calling definition", () => {
    expect(facts(SOURCE).calls).toEqual(
      expect.arrayContaining([
        { caller: "index", callee: "helper", line: 9 },
        { caller: "helper", callee: "re.compile", line: 12 },
        { caller: "Public.count", callee: "len", line: 20 },
        { caller: "<module>", callee: "getattr", line: 26 },
      ]),
    );
  });

  it("marks TestCase subclasses, their unittest hooks and test methods as used", () => {
    const source = "class T(unittest.TestCase):\n    def setUp(self):\n        pass\n    def test_a(self):\n        pass\n    def helper(self):\n        pass\n";
    const used = facts(source).definitions.filter((d) => d.implicitlyUsed).map((d) => d.name);
    expect(used).toEqual(["T", "T.setUp", "T.test_a"]);
  });

  it("marks enum members and # noqa'd definitions as used", () => {
    const source = "class Color(enum.Enum):\n    RED = 1\ndef keep():  # noqa: V103\n    pass\n";
    expect(facts(source).definitions.map((d) => [d.name, d.implicitlyUsed])).toEqual([
      ["Color", false],
      ["Color.RED", true],
      ["keep", true],
    ]);
  });

  it("reads class patterns and dotted values in match cases, and treats bare names as captures", () => {
    const source = [
      "import colors",
      "from shapes import Point",
      "def area(shape):",
      "    match shape:",
      "        case Point(x=0, y=height):",
      "            return height",
      "        case colors.Palette.RED | [first, *rest]:",
      "            return first",
    ].join("\n");
    const result = facts(source);
    for (const name of ["Point", "colors", "Palette", "RED", "x", "y", "height", "first"]) expect(result.usedNames).toContain(name);
    expect(result.usedNames).not.toContain("rest");
  });

  it("finds dispatch prefixes only when the computed name reaches getattr", () => {
    const dispatch = "class C:\n    def run(self, kind):\n        method = 'visit_' + kind\n        return getattr(self, method)()\n";
    expect(facts(dispatch).usedPrefixes).toEqual(["visit_"]);
    expect(facts("def f(x):\n    label = 'get' + x\n    return label\n").usedPrefixes).toEqual([]);
    expect(facts("def f(self, t):\n    return getattr(self, t + '_lib_format')\n").usedSuffixes).toEqual(["_lib_format"]);
  });

  it("leaves the tree as it found it: walking the same tree again gives the same facts", () => {
    // The walk drops web-tree-sitter's cached child lists of the nodes it finished (see walk.ts).
    const source = "import os\nclass A(Base):\n    def f(self, x: int) -> str:  # type: (int) -> str\n        if x:\n            return os.sep\n        elif not x:\n            pass\n        else:\n            y = 1\n";
    const tree = parse(source);
    const root = tree.rootNode;
    const first = JSON.stringify(extractFacts(root, source));
    expect(root.namedChildren.map((child) => child?.type)).toEqual(["import_statement", "class_definition"]);
    expect(JSON.stringify(extractFacts(root, source))).toBe(first);
    expect(JSON.stringify(extractFacts(tree.rootNode, source))).toBe(first);
  });
});
