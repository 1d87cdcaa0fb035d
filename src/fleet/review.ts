import type { Parser } from "web-tree-sitter";
import { snakeCase } from "../python/codemods/index.js";
import { parsePython, type ProjectAnalysis, type SyntaxNode } from "../python/index.js";
import { riskyAdditions } from "./review-risk.js";
import type { FileEdit, FleetTask, ReviewComment } from "./types.js";

/** A change larger than this is too big to review as one commit. */
export const REVIEW_LIMITS = { maxFiles: 60, maxChangedLines: 6000 } as const;

/** Who imports what, from the analysis of the base commit: `module` → name → importing modules. */
export interface ApiIndex {
  moduleOfPath: Map<string, string>;
  importedNames: Map<string, Map<string, Set<string>>>;
}

export function buildApiIndex(analysis: Pick<ProjectAnalysis, "files">): ApiIndex {
  const moduleOfPath = new Map<string, string>();
  const importedNames = new Map<string, Map<string, Set<string>>>();
  for (const file of analysis.files) moduleOfPath.set(file.path, file.module);
  for (const file of analysis.files) {
    for (const fact of file.facts.imports) {
      if (fact.names.length === 0) continue;
      const target = absoluteModule(file.module, file.isPackage, fact.module, fact.level);
      if (!target) continue;
      let names = importedNames.get(target);
      if (!names) importedNames.set(target, (names = new Map()));
      for (const name of fact.names) {
        if (name === "*") continue;
        let importers = names.get(name);
        if (!importers) names.set(name, (importers = new Set()));
        importers.add(file.module);
      }
    }
  }
  return { moduleOfPath, importedNames };
}

/** `from ..x import y` inside `a.b.c` → `a.x`. */
export function absoluteModule(importer: string, importerIsPackage: boolean, written: string, level: number): string | undefined {
  const rest = written.slice(level);
  if (level === 0) return rest;
  const parts = importer.split(".");
  const packageParts = importerIsPackage ? parts : parts.slice(0, -1);
  if (level - 1 > packageParts.length) return undefined;
  const base = packageParts.slice(0, packageParts.length - (level - 1));
  return [...base, ...(rest ? [rest] : [])].join(".");
}

function moduleOf(index: ApiIndex, path: string): string {
  const known = index.moduleOfPath.get(path);
  if (known) return known;
  if (path.endsWith("/__init__.py")) {
    const asModule = index.moduleOfPath.get(`${path.slice(0, -"/__init__.py".length)}.py`);
    if (asModule) return asModule;
  }
  return path.replace(/\.py$/, "").replace(/\/__init__$/, "").split("/").join(".");
}

interface ModuleNames {
  names: Set<string>;
  all: string[] | null;
  star: boolean;
}

/** Names a module binds at top level (including inside top-level if/try blocks), and its `__all__`. */
export function topLevelNames(root: SyntaxNode): ModuleNames {
  const result: ModuleNames = { names: new Set(), all: null, star: false };
  const visitTargets = (node: SyntaxNode) => {
    if (node.type === "identifier") result.names.add(node.text);
    else if (["pattern_list", "tuple_pattern", "list_pattern", "tuple", "list"].includes(node.type)) for (const child of node.namedChildren) if (child) visitTargets(child);
  };
  const visit = (node: SyntaxNode) => {
    switch (node.type) {
      case "function_definition":
      case "class_definition": {
        const name = node.childForFieldName("name");
        if (name) result.names.add(name.text);
        return;
      }
      case "decorated_definition": {
        const definition = node.childForFieldName("definition");
        if (definition) visit(definition);
        return;
      }
      case "expression_statement":
        for (const child of node.namedChildren) if (child && (child.type === "assignment" || child.type === "augmented_assignment")) visitAssignment(child);
        return;
      case "import_statement":
        for (const child of node.namedChildren) {
          if (!child) continue;
          if (child.type === "aliased_import") result.names.add(child.childForFieldName("alias")?.text ?? "");
          else if (child.type === "dotted_name") result.names.add(child.text.split(".")[0]!);
        }
        return;
      case "import_from_statement":
        if (node.namedChildren.some((child) => child?.type === "wildcard_import")) result.star = true;
        for (const child of node.childrenForFieldName("name")) {
          if (!child) continue;
          if (child.type === "aliased_import") result.names.add(child.childForFieldName("alias")?.text ?? "");
          else result.names.add(child.text.split(".").pop()!);
        }
        return;
      default:
        if (["if_statement", "try_statement", "with_statement", "block", "else_clause", "elif_clause", "except_clause", "finally_clause"].includes(node.type)) {
          for (const child of node.namedChildren) if (child) visit(child);
        }
    }
  };
  const visitAssignment = (assignment: SyntaxNode) => {
    const left = assignment.childForFieldName("left");
    if (!left) return;
    visitTargets(left);
    if (left.type === "identifier" && left.text === "__all__") {
      const right = assignment.childForFieldName("right");
      if (right && (right.type === "list" || right.type === "tuple")) {
        result.all = right.namedChildren.filter((child) => child?.type === "string").map((child) => child!.text.replace(/^[rbuRBU]*(['"]{1,3})|(['"]{1,3})$/g, ""));
      }
    }
  };
  for (const child of root.namedChildren) if (child) visit(child);
  return result;
}

function changedLines(before: string | undefined, after: string | null): number {
  const a = before === undefined ? [] : before.split("\n");
  const b = after === null ? [] : after.split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) (endA--, endB--);
  return endA - start + (endB - start);
}

/**
 * The rule-based reviewer. Returns review comments; an empty list accepts the change. Rules: the
 * diff touches only the task's files; every Python file it writes parses (unless it did not parse
 * before either); no top-level name that `__all__` lists or another module imports disappears
 * from its module; a module split into a package names each new submodule after a class or
 * function it defines; the change stays within REVIEW_LIMITS. A change a model wrote (`modelWritten`)
 * must also add nothing risky (review-risk.ts: processes, network, writes outside the package,
 * eval, dynamic imports, test/CI configuration, dependencies).
 */
export function reviewChange(parser: Parser, task: FleetTask, edits: FileEdit[], before: (path: string) => string | undefined, index: ApiIndex, options: { modelWritten?: boolean } = {}): ReviewComment[] {
  const comments: ReviewComment[] = options.modelWritten ? riskyAdditions(parser, edits, before) : [];
  const allowed = new Set(task.files);
  for (const edit of edits) if (!allowed.has(edit.path)) comments.push({ rule: "scope", path: edit.path, message: `changes ${edit.path}, which is not among the task's files (${task.files.join(", ")})` });
  const lines = edits.reduce((total, edit) => total + changedLines(before(edit.path), edit.content), 0);
  if (edits.length > REVIEW_LIMITS.maxFiles || lines > REVIEW_LIMITS.maxChangedLines) {
    comments.push({ rule: "size", message: `change too large to review: ${edits.length} files, ${lines} changed lines (limits ${REVIEW_LIMITS.maxFiles} files, ${REVIEW_LIMITS.maxChangedLines} lines)` });
  }

  const namesOf = (source: string | undefined): { names: ModuleNames; broken: boolean } | undefined => {
    if (source === undefined) return undefined;
    const tree = parsePython(parser, source);
    try {
      return { names: topLevelNames(tree.rootNode), broken: tree.rootNode.hasError };
    } finally {
      tree.delete();
    }
  };

  // Module name → what it bound before and after the change (a module may move from m.py to m/__init__.py).
  const modules = new Map<string, { before?: ModuleNames; after?: ModuleNames; path: string }>();
  const finalContent = new Map(edits.map((edit) => [edit.path, edit.content]));
  for (const edit of edits) {
    if (!edit.path.endsWith(".py")) continue;
    const module = moduleOf(index, edit.path);
    const entry = modules.get(module) ?? { path: edit.path };
    const previous = namesOf(before(edit.path));
    const next = namesOf(edit.content ?? undefined);
    if (next?.broken && !previous?.broken) comments.push({ rule: "syntax", path: edit.path, message: `${edit.path} no longer parses` });
    if (previous) entry.before = previous.names;
    if (next) entry.after = next.names;
    modules.set(module, entry);
  }
  comments.push(...misnamedSubmodules(parser, edits, before));
  for (const [module, entry] of modules) {
    if (!entry.before) continue;
    let after = entry.after;
    if (!after) {
      // The file is gone: the module may live on elsewhere (m.py → m/__init__.py, untouched by this edit list).
      const siblings = [`${entry.path.replace(/\.py$/, "")}/__init__.py`, entry.path.replace(/\/__init__\.py$/, ".py")];
      const moved = siblings.find((path) => path !== entry.path && (finalContent.get(path) ?? before(path)) != null);
      after = moved ? namesOf(finalContent.get(moved) ?? before(moved) ?? undefined)?.names : undefined;
    }
    if (after?.star) continue;
    const remaining = after?.names ?? new Set<string>();
    const importers = index.importedNames.get(module);
    for (const name of entry.before.names) {
      if (remaining.has(name)) continue;
      if (entry.before.all?.includes(name)) comments.push({ rule: "public-api", path: entry.path, message: `removes ${name}, which ${module}.__all__ lists` });
      const users = [...(importers?.get(name) ?? [])].filter((user) => user !== module);
      if (users.length > 0) comments.push({ rule: "public-api", path: entry.path, message: `removes ${module}.${name}, which ${users.slice(0, 3).join(", ")}${users.length > 3 ? ", ..." : ""} import${users.length === 1 ? "s" : ""}` });
    }
  }
  return comments;
}

/**
 * A module split into a package (`pkg/mod.py` deleted, `pkg/mod/*.py` created): each new submodule
 * must be named after a class, function or constant it defines (`remap.py` or `_remap.py` holds
 * `remap`, `keywords.py` `KEYWORDS`), so a reader finds code where its file name says.
 */
function misnamedSubmodules(parser: Parser, edits: readonly FileEdit[], before: (path: string) => string | undefined): ReviewComment[] {
  const deleted = new Set(edits.filter((edit) => edit.content === null && edit.path.endsWith(".py")).map((edit) => edit.path.slice(0, -3)));
  const comments: ReviewComment[] = [];
  for (const edit of edits) {
    if (edit.content === null || !edit.path.endsWith(".py") || before(edit.path) !== undefined) continue;
    const slash = edit.path.lastIndexOf("/");
    const file = edit.path.slice(slash + 1, -3);
    if (slash === -1 || !deleted.has(edit.path.slice(0, slash)) || file === "__init__" || file === "__main__") continue;
    // `_label.py` holds `label`; `_label_2.py` a second `label`-named part, or `label_2` itself.
    const stems = new Set([file.replace(/^_+/, ""), file.replace(/^_+/, "").replace(/_\d+$/, "")]);
    const tree = parsePython(parser, edit.content);
    let defined: string[];
    try {
      defined = tree.rootNode.namedChildren.flatMap((node) => {
        const definition = node?.type === "decorated_definition" ? node.childForFieldName("definition") : node;
        if (definition && (definition.type === "class_definition" || definition.type === "function_definition")) return [definition.childForFieldName("name")?.text ?? ""];
        // A part of constants (`KEYWORDS = {...}`) is named after its constant.
        const assignment = definition?.type === "expression_statement" ? definition.namedChildren[0] : undefined;
        const target = assignment?.type === "assignment" ? assignment.childForFieldName("left") : undefined;
        return target?.type === "identifier" ? [target.text] : [];
      });
    } finally {
      tree.delete();
    }
    if (defined.some((name) => stems.has(snakeCase(name)) || stems.has(name))) continue;
    comments.push({ rule: "naming", path: edit.path, message: `${edit.path} is named after nothing it defines (${defined.slice(0, 5).join(", ") || "no classes, functions or constants"}); name a submodule after its main class or function` });
  }
  return comments;
}
