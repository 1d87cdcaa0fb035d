import type { Parser } from "web-tree-sitter";
import { parsePython } from "../../parse/parser.js";
import { CodemodError } from "../errors.js";
import { walk } from "../names.js";
import { partitionUnits } from "./partition.js";
import { anchorOf, fromImport, importTextFor, joinUnits, partName, unitText } from "./render.js";
import { moduleUnits, type Unit } from "./units.js";

export { snakeCase } from "./render.js";

export interface SplitModuleOptions {
  /** Path of the module, relative and POSIX (`pkg/mod.py`); the package goes to `pkg/mod/`. */
  path: string;
  /** Dotted module name (`pkg.mod`), for the generated docstrings. */
  module: string;
  /** The size limit the module is over; parts aim at well under it. */
  maxLines: number;
  /** Names other modules import from this one (`from pkg.mod import _helper`); every name is re-exported anyway, these also never name a part. */
  keep?: ReadonlySet<string>;
}

export interface SplitPart {
  /** Module name of the part (`pkg.mod.http_client`). */
  module: string;
  path: string;
  /** Top-level names the part defines, in source order. */
  names: string[];
  lines: number;
}

export type SplitModuleResult =
  | { state: "split"; files: Array<{ path: string; content: string | null }>; parts: SplitPart[]; reexported: string[] }
  | { state: "refused"; reason: string };

/**
 * Splits a module into a package of cohesive parts (see `partitionUnits`): `pkg/mod.py` is deleted,
 * `pkg/mod/__init__.py` keeps the docstring and `__all__` and re-exports every name the module
 * bound (private ones and imported modules too: `from pkg.mod import _UNSET` and `pkg.mod.codecs`
 * keep working), and gives the moved classes and functions back `pkg.mod` as their `__module__`
 * (pickles, reprs and docs name the module they always had); each part imports what it needs
 * (its imports, and names of earlier parts), and an `if __name__ == "__main__":` block moves to
 * `pkg/mod/__main__.py`. Definitions move with their comments, decorators and docstrings byte for
 * byte (relative imports gain one dot). Refused for test modules (pytest would not collect the
 * parts) and for moved code with doctests (their discovery follows `__module__` and would lose
 * the methods' examples).
 */
export function splitModule(parser: Parser, source: string, options: SplitModuleOptions): SplitModuleResult {
  const tree = parsePython(parser, source);
  let result: SplitModuleResult;
  try {
    const root = tree.rootNode;
    if (isTestModule(options.path)) return { state: "refused", reason: "a test module is never split: pytest would not collect the new files" };
    if (root.hasError) return { state: "refused", reason: "the module does not parse" };
    const { units, refusal } = moduleUnits(root, source);
    if (refusal) return { state: "refused", reason: refusal };
    if (units.some((unit) => unit.kind === "definition" && unit.references.has("__all__"))) return { state: "refused", reason: "code reads __all__" };
    const doctest = units.find((unit) => unit.kind === "definition" && hasDoctest(unit));
    if (doctest) return { state: "refused", reason: `line ${doctest.nodes[0]!.startPosition.row + 1} has doctests, which a split would move out of ${options.module}'s namespace and doctest discovery` };
    const definitions = units.filter((unit) => unit.kind === "definition");
    const certain = new Set(definitions.flatMap((unit) => [...unit.certain]));
    const deleted = new Set(units.flatMap((unit) => [...unit.deletes]));
    const rebound = new Set(units.flatMap((unit) => [...unit.globals]));
    // Every name is re-exported, and a re-export is a copy: one that functions rebind would go stale.
    for (const name of rebound) {
      if (certain.has(name)) return { state: "refused", reason: `functions rebind ${name} with \`global\`; a re-export of it would go stale` };
    }
    const uncertain = definitions.flatMap((unit) => [...unit.defines]).filter((name) => !certain.has(name));
    const pinned = new Set([...uncertain, ...deleted, ...rebound]);
    const budget = Math.max(1, Math.floor(options.maxLines * 0.6));
    const groups = partitionUnits(units, budget, pinned);
    if (groups.length < 2) return { state: "refused", reason: "its definitions all reference each other; no cohesive split exists" };
    result = render(source, units, groups, options, { certain, deleted });
    // Generated lines use \n; a CRLF module gets CRLF files throughout.
    if (result.state === "split" && source.includes("\r\n")) {
      for (const file of result.files) if (file.content !== null) file.content = file.content.replace(/\r?\n/g, "\r\n");
    }
  } finally {
    tree.delete();
  }
  for (const file of result.state === "split" ? result.files : []) {
    if (file.content === null) continue;
    const check = parsePython(parser, file.content);
    const broken = check.rootNode.hasError;
    check.delete();
    if (broken) throw new CodemodError(`split-module produced ${file.path}, which does not parse`, { path: file.path });
  }
  return result;
}

interface Bindings {
  /** Names some definition binds on every path. */
  certain: ReadonlySet<string>;
  /** Names a module-level `del` removes. */
  deleted: ReadonlySet<string>;
}

function render(source: string, units: readonly Unit[], groups: Unit[][], options: SplitModuleOptions, bindings: Bindings): SplitModuleResult {
  const directory = options.path.replace(/\.py$/, "");
  const keep = options.keep ?? new Set<string>();
  const header = units.filter((unit) => unit.kind === "header");
  const future = header.filter((unit) => unit.nodes[0]!.type === "future_import_statement");
  const importUnits = units.filter((unit) => unit.kind === "import" || unit.kind === "import-block");

  const taken = new Set<string>(["__init__", "__main__", ...keep, ...units.flatMap((unit) => [...unit.defines])]);
  const names = groups.map((group) => partName(anchorOf(group), taken));
  // Where each name comes from: the part that binds it for sure (same-name definers share a part).
  const partOfName = new Map<string, number>();
  groups.forEach((group, index) => group.forEach((unit) => unit.defines.forEach((name) => partOfName.set(name, index))));

  /** Import statements (theirs, and `from .part import ...`) that give `units` every name they read and do not define. */
  const importsFor = (members: readonly Unit[], self: number): string => {
    const needed = new Set<string>();
    const defined = new Set(members.flatMap((unit) => [...unit.defines]));
    for (const unit of members) for (const name of unit.references) if (!defined.has(name)) needed.add(name);
    const provides = (unit: Unit) => new Set([...unit.defines].filter((name) => needed.has(name) && !partOfName.has(name)));
    // Import blocks read names too (`if TYPE_CHECKING:` needs TYPE_CHECKING): add them before choosing imports.
    for (const unit of importUnits) if (unit.kind === "import-block" && provides(unit).size > 0) for (const name of unit.references) if (!unit.defines.has(name)) needed.add(name);
    let text = "";
    for (const unit of importUnits) {
      const wanted = provides(unit);
      if (wanted.size > 0) text += unit.kind === "import" ? importTextFor(source, unit, wanted) : unitText(source, unit);
    }
    const fromParts = new Map<number, string[]>();
    for (const name of needed) {
      const part = partOfName.get(name);
      if (part === undefined || part === self) continue;
      fromParts.set(part, [...(fromParts.get(part) ?? []), name]);
    }
    const siblings = [...fromParts].sort(([a], [b]) => a - b);
    if (text && siblings.length > 0) text += "\n";
    for (const [part, partNames] of siblings) text += fromImport(`.${names[part]}`, orderByDefinition(partNames, groups[part]!));
    return text;
  };
  const futureText = future.map((unit) => unitText(source, unit)).join("");

  const files: Array<{ path: string; content: string | null }> = [{ path: options.path, content: null }];
  const parts: SplitPart[] = [];
  groups.forEach((group, index) => {
    const anchor = anchorOf(group);
    let content = `"""${anchor} and what it needs, split out of ${options.module} (which re-exports its names)."""\n`;
    if (futureText) content += `\n${futureText}`;
    const imports = importsFor(group, index);
    if (imports) content += `\n${imports}`;
    content += `\n\n${joinUnits(source, group)}`;
    const path = `${directory}/${names[index]}.py`;
    files.push({ path, content });
    parts.push({ module: `${options.module}.${names[index]}`, path, names: group.flatMap((unit) => [...unit.defines]), lines: content.split("\n").length - 1 });
  });

  // __init__.py: the original header, then every name of each part (private ones too).
  const reexported: string[] = [];
  let init = header.map((unit) => unitText(source, unit)).join("");
  const partImports: string[] = [];
  const maybeImports: string[] = [];
  groups.forEach((group, index) => {
    const api = group.flatMap((unit) => [...unit.defines]).filter((name) => !bindings.deleted.has(name));
    const unique = [...new Set(api)];
    const sure = unique.filter((name) => bindings.certain.has(name));
    if (sure.length > 0) partImports.push(fromImport(`.${names[index]}`, sure));
    // Bound only on some paths (a class under `if hasattr(...)`): re-exported exactly when it exists.
    for (const name of unique.filter((candidate) => !bindings.certain.has(candidate))) {
      maybeImports.push(`try:\n    from .${names[index]} import ${name}\nexcept ImportError:\n    pass\n`);
    }
    reexported.push(...unique);
  });
  // Every name an import bound stays a module attribute (`pkg.mod.codecs`), used or not.
  const importedApi = new Set(importUnits.flatMap((unit) => [...unit.defines]).filter((name) => !partOfName.has(name) && !bindings.deleted.has(name)));
  let apiImports = "";
  for (const unit of importUnits) {
    const wanted = new Set([...unit.defines].filter((name) => importedApi.has(name)));
    if (wanted.size === 0) continue;
    apiImports += unit.kind === "import" ? importTextFor(source, unit, wanted) : unitText(source, unit);
    reexported.push(...wanted);
  }
  if (init && !init.endsWith("\n\n")) init += "\n";
  init += apiImports + (apiImports ? "\n" : "") + partImports.join("") + (maybeImports.length > 0 ? `\n${maybeImports.join("")}` : "");
  init += keepModuleName(units, bindings, partOfName, options.module, taken);
  const allUnits = units.filter((unit) => unit.kind === "all");
  if (allUnits.length > 0) init += `\n${joinUnits(source, allUnits)}`;
  files.push({ path: `${directory}/__init__.py`, content: init });

  const main = units.filter((unit) => unit.kind === "main");
  if (main.length > 0) {
    const imports = importsFor(main, -1);
    files.push({ path: `${directory}/__main__.py`, content: `${futureText}${imports}${imports ? "\n\n" : ""}${joinUnits(source, main)}` });
  }
  return { state: "split", files, parts, reexported };
}

/**
 * The loop that gives the moved classes and functions (bound on every path) the package's module
 * name back: `pickle` finds a class by `__module__` + `__qualname__`, `repr` and Sphinx show it,
 * and the package re-exports every one of them under its old name.
 */
function keepModuleName(units: readonly Unit[], bindings: Bindings, partOfName: ReadonlyMap<string, number>, module: string, taken: Set<string>): string {
  const moved = units
    .filter((unit) => unit.kind === "definition" && (unit.label.kind === "class" || unit.label.kind === "function"))
    .map((unit) => unit.label.name)
    .filter((name) => partOfName.has(name) && bindings.certain.has(name) && !bindings.deleted.has(name));
  if (moved.length === 0) return "";
  let variable = "_moved";
  while (taken.has(variable)) variable = `_${variable}`;
  const tuple = `(${moved.join(", ")}${moved.length === 1 ? "," : ""})`;
  const head = `for ${variable} in ${tuple}:`;
  const loop = head.length <= 88 ? `${head}\n` : `for ${variable} in (\n${moved.map((name) => `    ${name},\n`).join("")}):\n`;
  return `\n# Moved classes and functions keep ${module} as their module: pickles, reprs and docs name it as before.\n${loop}    ${variable}.__module__ = __name__\ndel ${variable}\n`;
}

/** Test modules (pytest's default patterns, conftest.py, anything under tests/ or test/). */
function isTestModule(path: string): boolean {
  const name = path.split("/").pop() ?? path;
  return /^test_.*\.py$|_test\.py$|^conftest\.py$/.test(name) || /(^|\/)tests?\//.test(path);
}

/** True when a string in the unit holds a doctest example (a line starting with `>>>`). */
function hasDoctest(unit: Unit): boolean {
  let found = false;
  for (const node of unit.nodes) {
    walk(node, (child) => {
      if (found) return false;
      if (child.type === "string" && /^\s*>>>/m.test(child.text)) found = true;
      return !found && child.type !== "string";
    });
  }
  return found;
}

function orderByDefinition(names: readonly string[], group: readonly Unit[]): string[] {
  const order = new Map<string, number>();
  group.forEach((unit) => [...unit.defines].forEach((name) => order.set(name, unit.index)));
  return [...names].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
}
