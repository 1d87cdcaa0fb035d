import { FlatTree, views } from "./flat-tree.js";
import type { LanguageInfo } from "./language-info.js";
import { nativeLanguage, pythonAddon } from "./native-parser.js";
import type { PythonWasm } from "./parser.js";

/** A parse straight to a FlatTree, or the first syntax error as `syntax error at line L, column C[: missing X]`. */
export type FlatParse = { tree: FlatTree } | { syntaxError: string };

/**
 * Parses Python into FlatTrees: with the native parser when it is built (tree-sitter's C runtime;
 * the walk that fills the arrays runs in C too), else with web-tree-sitter's wasm. Both give the
 * same trees and messages for the same source (tested over the standard library).
 */
export interface FlatParser {
  readonly kind: "native" | "wasm";
  parse(source: string): FlatParse;
  /** Frees the wasm parser (nothing for the native one). */
  delete(): void;
}

/** The native parser when available (synchronous), else a wasm one (from `wasm` when given). */
export async function createFlatParser(wasm?: PythonWasm): Promise<FlatParser> {
  const addon = pythonAddon();
  if (addon !== null) {
    const language = nativeLanguage(addon);
    return {
      kind: "native",
      parse(source) {
        const parsed = addon.parse(source);
        if (typeof parsed === "string") return { syntaxError: parsed };
        return { tree: new FlatTree(language, source, parsed.count, views(parsed.buffer, parsed.count)) };
      },
      delete() {},
    };
  }
  // Loaded only here: with the native parser, no thread loads web-tree-sitter at all.
  const [{ createPythonParser }, { parseWithWasm }] = await Promise.all([import("./parser.js"), import("./wasm-flatten.js")]);
  const parser = await createPythonParser(wasm);
  return { kind: "wasm", parse: (source) => parseWithWasm(parser, source), delete: () => parser.delete() };
}

/** The grammar tables the analyzers read: the native parser's when built (no wasm instantiated), else the wasm Language. */
export async function analysisLanguage(): Promise<LanguageInfo> {
  const addon = pythonAddon();
  if (addon !== null) return nativeLanguage(addon);
  const { loadPythonLanguage } = await import("./parser.js");
  return loadPythonLanguage();
}
