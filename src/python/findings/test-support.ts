import { afterAll, beforeAll } from "vitest";
import { createPythonParser, parsePython, type Tree } from "../parse/parser.js";
import type { ModuleFacts } from "../types.js";
import { extractFacts } from "./facts.js";
import type { ProjectModule } from "./imports.js";

/**
 * One parser for a test file, with every tree it parsed deleted after the file's tests (wasm memory
 * is not garbage collected). Call at the top level of a test file.
 */
export function parserFixture() {
  let parser: Awaited<ReturnType<typeof createPythonParser>>;
  const trees: Tree[] = [];
  beforeAll(async () => {
    parser = await createPythonParser();
  });
  afterAll(() => {
    for (const tree of trees) tree.delete();
  });

  function parse(source: string): Tree {
    const tree = parsePython(parser, source);
    trees.push(tree);
    return tree;
  }

  function facts(source: string): ModuleFacts {
    return extractFacts(parse(source).rootNode, source);
  }

  /** Files (path → source) as project modules, named from their paths (`pkg/__init__.py` is `pkg`). */
  function project(files: Record<string, string>): ProjectModule[] {
    return Object.entries(files).map(([path, source]) => {
      const isPackage = path.endsWith("__init__.py");
      const module = path.replace(/\.py$/, "").replace(/\/__init__$/, "").split("/").join(".");
      return { path, module, isPackage, facts: facts(source) };
    });
  }

  /** The parser itself, for a test that manages a tree's lifetime on its own. */
  const current = () => parser;

  return { parse, facts, project, parser: current };
}
