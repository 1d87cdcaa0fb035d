import { readFile } from "node:fs/promises";
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

/**
 * The parser's two wasm modules (web-tree-sitter's runtime, the Python grammar), compiled. A compiled
 * module sent to another thread is shared, not recompiled, and V8 then optimizes its hot functions
 * once for every thread that runs it, instead of once per thread.
 */
export interface PythonWasm {
  runtime: WasmModule;
  grammar: WasmModule;
}

/** A compiled WebAssembly.Module (this project's TypeScript libraries do not declare the WebAssembly API). */
type WasmModule = object;
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: Promise<PythonWasm> | undefined;

/** Compiles the parser's wasm modules once per thread. */
export function compilePythonWasm(): Promise<PythonWasm> {
  compiled ??= (async () => {
    const require = createRequire(import.meta.url);
    const compile = async (id: string) => wasmApi.compile(await readFile(require.resolve(id)));
    const [runtime, grammar] = await Promise.all([compile("web-tree-sitter/web-tree-sitter.wasm"), compile("tree-sitter-python/tree-sitter-python.wasm")]);
    return { runtime, grammar };
  })();
  return compiled;
}

/** The Emscripten hooks web-tree-sitter's runtime offers beyond the cursor functions. */
interface RuntimeHooks {
  instantiateWasm?: (imports: object, receive: (instance: { exports: object }, module: WasmModule) => void) => object;
  loadWebAssemblyModule?: (module: WasmModule, flags: { loadAsync: true }) => Promise<Record<string, () => number>>;
}

/**
 * Loads the tree-sitter Python grammar once per thread, from `wasm` when given (modules compiled by
 * another thread) or compiled here.
 */
export function loadPythonLanguage(wasm?: PythonWasm): Promise<Language> {
  language ??= (async () => {
    const { runtime, grammar } = wasm ?? (await compilePythonWasm());
    const hooks = runtimeOptions as RuntimeHooks;
    hooks.instantiateWasm = (imports, receive) => {
      const instance = new wasmApi.Instance(runtime, imports);
      receive(instance, runtime);
      return instance.exports;
    };
    await Parser.init(runtimeOptions);
    const exports = await hooks.loadWebAssemblyModule!(grammar, { loadAsync: true });
    // What Language.load does after compiling the grammar itself.
    return (Language as unknown as { loadFromWasmExports(exports: Record<string, () => number>, options: { sync: boolean }): Language }).loadFromWasmExports(exports, { sync: false });
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
export async function createPythonParser(wasm?: PythonWasm): Promise<Parser> {
  const loaded = await loadPythonLanguage(wasm);
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
