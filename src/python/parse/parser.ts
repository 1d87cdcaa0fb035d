import { createRequire } from "node:module";
import { Language, Parser, type Tree } from "web-tree-sitter";

export type { Node as SyntaxNode, Tree } from "web-tree-sitter";

let language: Promise<Language> | undefined;

/** Loads the tree-sitter Python grammar once per thread. */
function loadLanguage(): Promise<Language> {
  language ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    return Language.load(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
  })();
  return language;
}

/** A tree-sitter parser for Python; create one per thread and reuse it for every file. */
export async function createPythonParser(): Promise<Parser> {
  const loaded = await loadLanguage();
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
