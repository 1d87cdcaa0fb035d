import type { SyntaxNode } from "../parse/parser.js";

/** Visits every node in document order; `visit` returns false to skip the node's children. */
export function walk(root: SyntaxNode, visit: (node: SyntaxNode) => boolean | void): void {
  const cursor = root.walk();
  try {
    for (;;) {
      const descend = visit(cursor.currentNode) !== false;
      if (descend && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return;
      }
    }
  } finally {
    cursor.delete();
  }
}

export const IMPORT_TYPES = new Set(["import_statement", "import_from_statement", "future_import_statement"]);

/** A string whose whole content reads like a type expression (`"List[Foo]"`, `'Foo | None'`): a forward reference. */
const TYPE_EXPRESSION = /^[A-Za-z_][\w.]*(?:\s*[[\],|]\s*[\w.'"]*)*\s*\]*$/;

/**
 * Names a module reads outside its import statements: identifiers, forward references in
 * annotation-like strings, words of `# type:` comments and the strings of `__all__`. Deliberately
 * over-approximate (an attribute or keyword named like an import counts as a read): that can
 * only keep an import, never remove a used one.
 */
export function namesReadOutsideImports(root: SyntaxNode): Set<string> {
  const read = new Set<string>();
  walk(root, (node) => {
    if (IMPORT_TYPES.has(node.type)) return false;
    if (node.type === "identifier") read.add(node.text);
    else for (const word of forwardReferenceWords(node)) read.add(word);
    return true;
  });
  for (const name of dunderAllNames(root)) read.add(name);
  return read;
}

/**
 * Names a string or comment node may refer to at run time: the words of a string that reads like a
 * type expression (a forward reference `typing.get_type_hints` resolves in module globals) and of
 * a `# type:` comment. Empty for other nodes and for prose.
 */
export function forwardReferenceWords(node: SyntaxNode): string[] {
  if (node.type === "string_content") {
    const content = node.text.trim();
    return TYPE_EXPRESSION.test(content) ? (content.match(/[A-Za-z_]\w*/g) ?? []) : [];
  }
  if (node.type === "comment" && /#\s*type:/.test(node.text)) return node.text.match(/[A-Za-z_]\w*/g) ?? [];
  return [];
}

/** The strings of every module-level statement that assigns or extends `__all__`. */
export function dunderAllNames(root: SyntaxNode): Set<string> {
  const names = new Set<string>();
  for (const statement of root.namedChildren) {
    if (!statement || statement.type !== "expression_statement" || !/\b__all__\b/.test(statement.text)) continue;
    walk(statement, (node) => {
      if (node.type === "string_content") names.add(node.text);
      return true;
    });
  }
  return names;
}

const DYNAMIC_NAMESPACE = new Set(["globals", "vars", "locals", "eval", "exec", "__import__"]);

/**
 * True when the module may read its own names through strings: it calls `globals()`, `vars()`,
 * `eval`/`exec`, defines a module `__getattr__`, or builds `__all__` from something other than
 * string literals. Then no import can be proven unused or movable.
 */
export function readsNamespaceDynamically(root: SyntaxNode): boolean {
  let dynamic = false;
  walk(root, (node) => {
    if (dynamic) return false;
    if (node.type === "identifier" && DYNAMIC_NAMESPACE.has(node.text) && node.parent?.type === "call") dynamic = true;
    return true;
  });
  if (dynamic) return true;
  for (const statement of root.namedChildren) {
    if (statement?.type === "function_definition" && statement.childForFieldName("name")?.text === "__getattr__") return true;
    if (statement?.type !== "expression_statement" || !/^__all__\b/.test(statement.text)) continue;
    let literal = true;
    walk(statement, (node) => {
      if (node.type === "identifier" && node.text !== "__all__" && !["extend", "append"].includes(node.text)) literal = false;
      if (node.type === "call" && !/^__all__\.(extend|append)$/.test(node.childForFieldName("function")?.text ?? "")) literal = false;
      return literal;
    });
    if (!literal) return true;
  }
  return false;
}

const NOQA = /#\s*noqa(?::\s*([A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?/i;

/** True when a line of `text` carries `# noqa` that is bare or lists one of `codes`. */
export function hasNoqa(text: string, codes: readonly string[]): boolean {
  for (const line of text.split("\n")) {
    const match = NOQA.exec(line);
    if (!match) continue;
    if (!match[1]) return true;
    if (match[1].split(/[,\s]+/).some((code) => codes.includes(code.toUpperCase()))) return true;
  }
  return false;
}

/** Full text of the lines that `node` spans (to read trailing `# noqa` comments). */
export function linesOf(source: string, node: SyntaxNode): string {
  const start = source.lastIndexOf("\n", node.startIndex - 1) + 1;
  const newline = source.indexOf("\n", node.endIndex);
  return source.slice(start, newline === -1 ? source.length : newline);
}

/** The ancestors of `node`, nearest first. */
export function* ancestors(node: SyntaxNode): Generator<SyntaxNode> {
  for (let current = node.parent; current; current = current.parent) yield current;
}
