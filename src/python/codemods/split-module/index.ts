import type { Parser } from "web-tree-sitter";
import { parsePython } from "../../parse/parser.js";
import { CodemodError } from "../errors.js";
import { dunderAllNames } from "../names.js";
import { partitionUnits } from "./partition.js";
import { anchorOf, fromImport, importTextFor, joinUnits, partName, unitText } from "./render.js";
import { moduleUnits, type Unit } from "./units.js";

export interface SplitModuleOptions {
  /** Path of the module, relative and POSIX (`pkg/mod.py`); the package goes to `pkg/mod/`. */
  path: string;
  /** Dotted module name (`pkg.mod`), for the generated docstrings. */
  module: string;
  /** The size limit the module is over; parts aim at well under it. */
  maxLines: number;
  /** Names other modules import from this one (`from pkg.mod import _helper`): re-exported even when private or imported. */
  keep?: ReadonlySet<string>;
  /** Re-export every top-level definition, private ones too (when the importers are unknown). */
  reexportAll?: boolean;
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
 * `pkg/mod/__init__.py` keeps the docstring and `__all__` and re-exports every public name plus every
 * name in `keep`, each part imports what it needs (its imports, and names of earlier parts), and an
 * `if __name__ == "__main__":` block moves to `pkg/mod/__main__.py`. Definitions move with their
 * comments, decorators and docstrings byte for byte (relative imports gain one dot).
 */
export function splitModule(parser: Parser, source: string, options: SplitModuleOptions): SplitModuleResult {
  const tree = parsePython(parser, source);
  let result: SplitModuleResult;
  try {
    const root = tree.rootNode;
    if (root.hasError) return { state: "refused", reason: "the module does not parse" };
    const { units, refusal } = moduleUnits(root, source);
    if (refusal) return { state: "refused", reason: refusal };
    if (units.some((unit) => unit.kind === "definition" && unit.references.has("__all__"))) return { state: "refused", reason: "code reads __all__" };
    const definitions = units.filter((unit) => unit.kind === "definition");
    const certain = new Set(definitions.flatMap((unit) => [...unit.certain]));
    const deleted = new Set(units.flatMap((unit) => [...unit.deletes]));
    const rebound = new Set(units.flatMap((unit) => [...unit.globals]));
    const exported = dunderAllNames(root);
    for (const name of rebound) {
      if (certain.has(name) && (isPublic(name) || options.keep?.has(name) || exported.has(name))) {
        return { state: "refused", reason: `functions rebind ${name} with \`global\`; a re-export of it would go stale` };
      }
    }
    const uncertain = definitions.flatMap((unit) => [...unit.defines]).filter((name) => !certain.has(name));
    const pinned = new Set([...uncertain, ...deleted, ...rebound]);
    const budget = Math.max(1, Math.floor(options.maxLines * 0.6));
    const groups = partitionUnits(units, budget, pinned);
    if (groups.length < 2) return { state: "refused", reason: "its definitions all reference each other; no cohesive split exists" };
    result = render(source, units, groups, options, exported, { certain, deleted });
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

function render(source: string, units: readonly Unit[], groups: Unit[][], options: SplitModuleOptions, exported: ReadonlySet<string>, bindings: Bindings): SplitModuleResult {
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

  // __init__.py: the original header, then every public (or kept, or exported) name of each part.
  const reexported: string[] = [];
  let init = header.map((unit) => unitText(source, unit)).join("");
  const partImports: string[] = [];
  const maybeImports: string[] = [];
  groups.forEach((group, index) => {
    const api = group
      .flatMap((unit) => [...unit.defines])
      .filter((name) => !bindings.deleted.has(name) && (options.reexportAll || isPublic(name) || keep.has(name) || exported.has(name)));
    const unique = [...new Set(api)];
    const sure = unique.filter((name) => bindings.certain.has(name));
    if (sure.length > 0) partImports.push(fromImport(`.${names[index]}`, sure));
    // Bound only on some paths (a class under `if hasattr(...)`): re-exported exactly when it exists.
    for (const name of unique.filter((candidate) => !bindings.certain.has(candidate))) {
      maybeImports.push(`try:\n    from .${names[index]} import ${name}\nexcept ImportError:\n    pass\n`);
    }
    reexported.push(...unique);
  });
  const importedApi = new Set([...keep, ...exported].filter((name) => !partOfName.has(name)));
  let apiImports = "";
  for (const unit of importUnits) {
    const wanted = new Set([...unit.defines].filter((name) => importedApi.has(name)));
    if (wanted.size === 0) continue;
    apiImports += unit.kind === "import" ? importTextFor(source, unit, wanted) : unitText(source, unit);
    reexported.push(...wanted);
  }
  if (init && !init.endsWith("\n\n")) init += "\n";
  init += apiImports + (apiImports ? "\n" : "") + partImports.join("") + (maybeImports.length > 0 ? `\n${maybeImports.join("")}` : "");
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

function isPublic(name: string): boolean {
  return !name.startsWith("_") || (name.startsWith("__") && name.endsWith("__"));
}

function orderByDefinition(names: readonly string[], group: readonly Unit[]): string[] {
  const order = new Map<string, number>();
  group.forEach((unit) => [...unit.defines].forEach((name) => order.set(name, unit.index)));
  return [...names].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
}
