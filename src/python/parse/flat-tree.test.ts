import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { extractFacts } from "../findings/facts.js";
import { localFindings } from "../findings/local.js";
import { parserFixture } from "../findings/test-support.js";
import { analyzeComplexity } from "../metrics/complexity.js";
import { COMPLEXITY_CASES } from "../metrics/complexity-cases.js";
import { computeHalstead } from "../metrics/halstead.js";
import { RADON_CASES } from "../metrics/radon-cases.js";
import type { AnalysisNode } from "./flat-node.js";
import { FlattenError, flattenTree } from "./wasm-flatten.js";
import { parsePython } from "./parser.js";

const { parse, parser } = parserFixture();

/** Every property the analyzers read, of `node` and (recursively) of its children, on both trees. */
function describeNode(node: AnalysisNode, fields: string[]): unknown {
  const children = node.children;
  return {
    type: node.type,
    typeId: node.typeId,
    named: node.isNamed,
    extra: node.isExtra,
    range: [node.startIndex, node.endIndex, node.startPosition.row, node.endPosition.row, node.startPosition.column, node.endPosition.column],
    text: node.text,
    parent: node.parent ? [node.parent.type, node.parent.startIndex] : null,
    counts: [node.childCount, node.namedChildCount],
    namedStarts: node.namedChildren.map((child) => child.startIndex),
    childFields: children.map((_, index) => node.fieldNameForChild(index)),
    // web-tree-sitter also answers a match statement's `alternative` with a case clause inside its
    // block (a field inherited through the aliased `_match_block`); flat nodes look at direct
    // children only. No analyzer asks a match statement for it.
    byField: fields
      .filter((field) => !(node.type === "match_statement" && field === "alternative"))
      .map((field) => [node.childForFieldName(field)?.startIndex ?? null, node.childrenForFieldName(field).length]),
    children: children.map((child) => describeNode(child, fields)),
  };
}

/** What a cursor sees going down the last children and back along previous siblings (complexity-lines.ts). */
function cursorPath(root: AnalysisNode): unknown[] {
  const cursor = root.walk();
  const seen: unknown[] = [];
  const visit = (depth: number): void => {
    seen.push([cursor.nodeTypeId, cursor.currentFieldId, cursor.startPosition.row]);
    if (depth > 40 || !cursor.gotoLastChild()) return;
    do visit(depth + 1);
    while (cursor.gotoPreviousSibling());
    cursor.gotoParent();
  };
  visit(0);
  cursor.delete();
  return seen;
}

function analyses(root: AnalysisNode, source: string) {
  const facts = extractFacts(root, source);
  return {
    halstead: computeHalstead(root, source),
    complexity: analyzeComplexity(root),
    facts: JSON.parse(JSON.stringify(facts)),
    findings: localFindings(root, source, "pkg/module.py", facts, { isPackageInit: false }),
    roles: root.descendantsOfType(["if_statement", "else_clause", "comment", "and", "or"]).map((node) => [node.type, node.startIndex]),
  };
}

const SNIPPETS: Array<[string, string]> = [
  ...RADON_CASES.filter((radonCase) => !radonCase.astError).map((radonCase): [string, string] => [radonCase.name, radonCase.source]),
  ...COMPLEXITY_CASES.map((complexityCase): [string, string] => [complexityCase.name, complexityCase.source]),
  ["comments, continuations and unicode", 'x = 1  # note\ny = (2 +  \\\n  3)\ns = "héllo 😀"; t = s\nif x:\n    # inside\n    pass\n'],
];

describe("flattenTree", () => {
  it.each(SNIPPETS)("mirrors every node the wasm tree has: %s", (_name, source) => {
    const tree = parse(source);
    if (tree.rootNode.hasError) return;
    const fields = tree.language.fields.filter((field): field is string => field !== null);
    const flat = flattenTree(tree, source);
    expect(describeNode(flat.rootNode, fields)).toEqual(describeNode(tree.rootNode, fields));
    expect(cursorPath(flat.rootNode)).toEqual(cursorPath(tree.rootNode));
  });

  it.each(SNIPPETS)("gives every analyzer the same answers as the wasm tree: %s", (_name, source) => {
    const tree = parse(source);
    if (tree.rootNode.hasError) return;
    expect(analyses(flattenTree(tree, source).rootNode, source)).toEqual(analyses(tree.rootNode, source));
  });

  const stdlibFiles = ["argparse.py", "dataclasses.py", "asyncio/base_events.py", "email/_header_value_parser.py"].map((file) => `/usr/lib/python3.11/${file}`);
  it.skipIf(!stdlibFiles.every((file) => existsSync(file)))("agrees with the wasm tree on large standard library modules", () => {
    for (const file of stdlibFiles) {
      const source = readFileSync(file, "utf8");
      const tree = parse(source);
      const flat = flattenTree(tree, source);
      expect(flat.count).toBe(tree.rootNode.descendantCount);
      expect(analyses(flat.rootNode, source)).toEqual(analyses(tree.rootNode, source));
    }
  });

  it("gives a node the same id on every read, and keeps working after the wasm tree is deleted", () => {
    const source = "def f(a):\n    return a.b(c)\n";
    const tree = parsePython(parser(), source);
    const flat = flattenTree(tree, source);
    tree.delete();
    const root = flat.rootNode;
    const call = root.descendantsOfType("call")[0];
    expect(call.text).toBe("a.b(c)");
    expect(call.childForFieldName("function")?.id).toBe(root.descendantsOfType("attribute")[0].id);
    expect(call.childForFieldName("function")?.text).toBe("a.b");
    expect(call.parent?.parent?.parent?.type).toBe("function_definition");
  });

  it("refuses a tree with syntax errors", () => {
    const source = "def f(:\n";
    expect(() => flattenTree(parse(source), source)).toThrow(FlattenError);
  });
});
