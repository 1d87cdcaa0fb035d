import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { LanguageInfo } from "./language-info.js";

/** What build/Release/pyagent_python.node exports (native/python_parser.cc). */
export interface PythonAddon {
  /** The flat arrays of the tree (FlatTree's layout, `count` entries each), or the syntax error message. */
  parse(source: string): { count: number; buffer: ArrayBuffer } | string;
  grammar(): { types: Array<string | undefined>; names: string[]; named: boolean[]; fields: Array<string | null>; version: number };
}

/**
 * The addon, built by `npm install` (node-gyp) from tree-sitter's C runtime and tree-sitter-python's
 * C grammar; PYAGENT_PARSER_ADDON names another file.
 */
export const PYTHON_ADDON_PATH = process.env.PYAGENT_PARSER_ADDON ?? fileURLToPath(new URL("../../../build/Release/pyagent_python.node", import.meta.url));

let loaded: PythonAddon | null | undefined;

/**
 * The native parser, or null (the caller then parses with web-tree-sitter: the same grammar and
 * trees, slower) when PYAGENT_PARSER=wasm asks for that, the addon is not built, or it does not
 * load (built for another Node, say).
 */
export function pythonAddon(): PythonAddon | null {
  if (loaded === undefined) {
    loaded = null;
    if (process.env.PYAGENT_PARSER !== "wasm" && existsSync(PYTHON_ADDON_PATH)) {
      try {
        loaded = createRequire(import.meta.url)(PYTHON_ADDON_PATH) as PythonAddon;
      } catch {
        loaded = null;
      }
    }
  }
  return loaded;
}

let language: LanguageInfo | undefined;

/** The grammar's node types and fields as the native parser numbers them (the wasm Language's numbering). */
export function nativeLanguage(addon: PythonAddon): LanguageInfo {
  if (language) return language;
  const { types, names, named, fields } = addon.grammar();
  const info: LanguageInfo = {
    types,
    fields,
    nodeTypeCount: types.length,
    nodeTypeIsNamed: (id) => named[id] === true,
    nodeTypeForId: (id) => names[id] || null,
    fieldIdForName: (name) => {
      const id = fields.indexOf(name);
      return id === -1 ? null : id;
    },
  };
  language = info;
  return info;
}
