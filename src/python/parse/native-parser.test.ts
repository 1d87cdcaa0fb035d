import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePythonSource } from "../analyze/source.js";
import { createFlatParser, type FlatParse, type FlatParser } from "./flat-parser.js";
import type { FlatTree } from "./flat-tree.js";
import { nativeLanguage, PYTHON_ADDON_PATH, type PythonAddon, pythonAddon } from "./native-parser.js";
import { createPythonParser, loadPythonLanguage } from "./parser.js";
import { parseWithWasm } from "./wasm-flatten.js";

// The native parser (tree-sitter's C runtime + tree-sitter-python's C grammar, native/python_parser.cc)
// must give exactly the flat trees and syntax error messages of the wasm path (web-tree-sitter +
// the grammar's wasm build + flattenTree), so the analysis does not depend on which one ran.

const built = existsSync(PYTHON_ADDON_PATH) && process.env.PYAGENT_PARSER !== "wasm";
const STDLIB = "/usr/lib/python3.11";

let addon: PythonAddon;
let native: FlatParser;
let wasmParse: (source: string) => FlatParse;
let deleteParser: () => void;

beforeAll(async () => {
  if (!built) return;
  addon = pythonAddon()!;
  native = await createFlatParser();
  const parser = await createPythonParser();
  wasmParse = (source) => parseWithWasm(parser, source);
  deleteParser = () => parser.delete();
});
afterAll(() => deleteParser?.());

/** The ten arrays of a flat tree, `count` entries each (the wasm tree's arrays may be longer). */
function arraysOf(tree: FlatTree): Record<string, Int32Array | Uint16Array> {
  const arrays = {
    typeIds: tree.typeIds,
    fieldIds: tree.fieldIds,
    starts: tree.starts,
    ends: tree.ends,
    startRows: tree.startRows,
    parents: tree.parents,
    nextSiblings: tree.nextSiblings,
    previousSiblings: tree.previousSiblings,
    lastChildren: tree.lastChildren,
    subtreeEnds: tree.subtreeEnds,
  };
  return Object.fromEntries(Object.entries(arrays).map(([key, array]) => [key, array.subarray(0, tree.count)]));
}

/** Each array equal, byte for byte; the first differing entry named when not. */
function expectSameArrays(actual: FlatTree, expected: FlatTree, what: string): void {
  const a = arraysOf(actual);
  const b = arraysOf(expected);
  for (const key of Object.keys(b)) {
    const left = Buffer.from(a[key].buffer, a[key].byteOffset, a[key].byteLength);
    const right = Buffer.from(b[key].buffer, b[key].byteOffset, b[key].byteLength);
    if (left.equals(right)) continue;
    const at = a[key].findIndex((value, i) => value !== b[key][i]);
    expect.fail(`${what}: ${key}[${at}] is ${a[key][at]}, the wasm path's is ${b[key][at]}`);
  }
}

/** Native and wasm agree on `source`: the same arrays, or the same syntax error message. */
function expectSameParse(source: string, what: string): void {
  const wasm = wasmParse(source);
  const parsed = native.parse(source);
  if ("syntaxError" in wasm) {
    expect(parsed, what).toEqual(wasm);
    return;
  }
  if ("syntaxError" in parsed) expect.fail(`${what}: native found ${parsed.syntaxError}`);
  expect(parsed.tree.count, what).toBe(wasm.tree.count);
  expectSameArrays(parsed.tree, wasm.tree, what);
}

describe.skipIf(!built)("native Python parser", () => {
  it("is the parser analyze uses when it is built", () => {
    expect(native.kind).toBe("native");
  });

  it("numbers node types and fields as the wasm grammar does", async () => {
    const wasm = await loadPythonLanguage();
    const grammar = nativeLanguage(addon);
    expect(grammar.nodeTypeCount).toBe(wasm.nodeTypeCount);
    expect([...grammar.types]).toEqual([...wasm.types]);
    expect([...grammar.fields]).toEqual([...wasm.fields]);
    for (let id = 0; id < wasm.nodeTypeCount; id++) {
      expect(grammar.nodeTypeIsNamed(id), `type ${id}`).toBe(wasm.nodeTypeIsNamed(id));
      expect(grammar.nodeTypeForId(id), `type ${id}`).toBe(wasm.nodeTypeForId(id));
    }
    for (const name of ["body", "name", "alias", "module_name", "attribute", "no_such_field"]) {
      expect(grammar.fieldIdForName(name), name).toBe(wasm.fieldIdForName(name));
    }
  });

  it("gives the wasm path's trees for sources with non-ASCII text, surrogate pairs, CRLF, lone CR, form feeds and continuations", () => {
    const sources = [
      "",
      "# only a comment\n",
      "x = 1",
      "def f(a, *, b=2, **kw):\n    return a + b  # done\n",
      "café = 'naïve'\nπ = 3.14\nprint(café, π)\n",
      "s = '😀 emoji 😀'  # 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\nt = s + '𝒳'\n",
      "a = 1\r\nb = 2\r\nif a:\r\n    b = 3\r\n",
      "a = 1\rb = 2\n",
      "\fdef f():\n\f    pass\n",
      "x = 1 + \\\n    2\n",
      'doc = """\nmulti\nline 😀\n"""\n',
      "match command:\n    case [x, *rest] if x > 0:\n        pass\n    case {'k': v}:\n        pass\n",
      "async def g():\n    async with a as b, c:\n        await b\n    return [x async for x in b]\n",
      "class C(Base, metaclass=M):\n    @property\n    def p(self) -> int: ...\n",
      "try:\n    pass\nexcept* ValueError as e:\n    raise\nfinally:\n    del e\n",
      "f'{a!r:>{width}} {b=}'\n",
      "lambda: (yield)\n",
    ];
    for (const source of sources) expectSameParse(source, JSON.stringify(source));
  });

  it("reports the first syntax error as the wasm path does, columns in UTF-16 code units after non-ASCII text", () => {
    const sources = [
      "def f(:\n    pass\n",
      "x = (1, 2\n",
      "print('é😀', )))\n",
      "é = 1\nif é ==:\n    pass\n",
      "class:\n",
      "for x in :\n  pass\n",
      "x = [1, 2\ny = 3\n",
    ];
    for (const source of sources) {
      const wasm = wasmParse(source);
      expect("syntaxError" in wasm, source).toBe(true);
      expectSameParse(source, JSON.stringify(source));
    }
  });

  it.skipIf(!existsSync(STDLIB))("gives the wasm path's trees for every file of the Python 3.11 standard library", () => {
    const files: string[] = [];
    const walk = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory() && entry.name !== "site-packages" && entry.name !== "__pycache__") walk(path);
        else if (entry.isFile() && entry.name.endsWith(".py")) files.push(path);
      }
    };
    walk(STDLIB);
    expect(files.length).toBeGreaterThan(600);
    let compared = 0;
    for (const path of files) {
      const decoded = decodePythonSource(readFileSync(path));
      if (decoded.state !== "ok") continue;
      expectSameParse(decoded.text, path);
      compared++;
    }
    expect(compared).toBeGreaterThan(600);
  }, 120_000);

  it("gives the wasm path's tree for a generated file of 1.5 million nodes (past the scratch a thread keeps), then parses small files again", () => {
    expectSameParse("x = 1\n".repeat(300_000), "300,000 assignments");
    expectSameParse("def f():\n    return 1\n", "a small file after it");
  }, 60_000);

  it("rejects a non-string argument with a TypeError", () => {
    expect(() => (addon.parse as (value: unknown) => unknown)(42)).toThrow(TypeError);
    expect(native.parse("x = 1")).toHaveProperty("tree");
  });
});
