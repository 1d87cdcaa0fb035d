import { createRequire } from "node:module";
import { Language, Parser, type Tree } from "web-tree-sitter";

export type { Node as SyntaxNode, Tree } from "web-tree-sitter";

/**
 * The tree-sitter runtime's wasm exports that web-tree-sitter keeps internal: its tree cursor
 * functions, which work on a cursor kept in the transfer buffer (see flat-tree.ts). Emscripten
 * assigns every export onto the options object given to `Parser.init`, so keeping that object is
 * how we reach them; the same functions web-tree-sitter's own TreeCursor calls.
 */
export interface TreeSitterRuntime {
  HEAP32: Int32Array;
  _ts_init(): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
}

/**
 * web-tree-sitter initializes once per thread and fills only the options object of that first
 * `Parser.init`; kept on globalThis so that a second copy of this module in the same thread (source
 * and compiled, as under the test runner) reads the same object.
 */
const runtimeOptions: Partial<TreeSitterRuntime> = ((globalThis as Record<symbol, unknown>)[Symbol.for("pyagent.tree-sitter-runtime")] ??= {}) as Partial<TreeSitterRuntime>;
let language: Promise<Language> | undefined;

/** Loads the tree-sitter Python grammar once per thread. */
export function loadPythonLanguage(): Promise<Language> {
  language ??= (async () => {
    await Parser.init(runtimeOptions);
    const require = createRequire(import.meta.url);
    return Language.load(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
  })();
  return language;
}

/** The runtime's exports; only valid once a parser exists (createPythonParser has resolved). */
export function treeSitterRuntime(): TreeSitterRuntime {
  if (typeof runtimeOptions._ts_tree_cursor_goto_first_child_wasm !== "function") {
    throw new Error("tree-sitter runtime not initialized: create a parser with createPythonParser first");
  }
  return runtimeOptions as TreeSitterRuntime;
}

/** A tree-sitter parser for Python; create one per thread and reuse it for every file. */
export async function createPythonParser(): Promise<Parser> {
  const loaded = await loadPythonLanguage();
  const parser = new Parser();
  parser.setLanguage(loaded);
  return parser;
}

/** Parses source; the caller must `tree.delete()` when done (wasm memory is not garbage collected). */
export function parsePython(parser: Parser, source: string): Tree {
  const tree = parser.parse(source);
  if (!tree) throw new Error("tree-sitter returned no tree");
  return tree;
}
