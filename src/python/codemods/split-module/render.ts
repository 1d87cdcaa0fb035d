import { readImport } from "../imports.js";
import { walk } from "../names.js";
import type { Unit } from "./units.js";

const KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type".split(" "),
);

/** A unit's text with every relative import one level deeper (`from .x` -> `from ..x`), since the code moves into a package. */
export function unitText(source: string, unit: Unit): string {
  const inserts: number[] = [];
  for (const node of unit.nodes) {
    walk(node, (child) => {
      if (child.type === "import_prefix") inserts.push(child.startIndex);
      return child.type !== "string";
    });
  }
  let text = "";
  let cursor = unit.start;
  for (const at of inserts.sort((a, b) => a - b)) {
    text += source.slice(cursor, at) + ".";
    cursor = at;
  }
  return text + source.slice(cursor, unit.end);
}

/** Units in source order, separated as they were when adjacent, else by the blank lines PEP 8 asks for. */
export function joinUnits(source: string, units: readonly Unit[]): string {
  const sorted = [...units].sort((a, b) => a.index - b.index);
  let text = "";
  sorted.forEach((unit, index) => {
    const previous = sorted[index - 1];
    if (previous) {
      if (previous.index + 1 === unit.index) text += source.slice(previous.end, unit.start);
      else text += isDefinitionLike(previous) || isDefinitionLike(unit) ? "\n\n" : "\n";
    }
    text += unitText(source, unit);
  });
  return text;
}

function isDefinitionLike(unit: Unit): boolean {
  return unit.nodes.some((node) => node.type === "function_definition" || node.type === "class_definition" || node.type === "decorated_definition");
}

/**
 * The import text that binds exactly `names` from an import unit: the statement as written when it
 * binds nothing else, else one generated statement per kind (relative levels deepened).
 */
export function importTextFor(source: string, unit: Unit, names: ReadonlySet<string>): string {
  const node = unit.nodes[0]!;
  const statement = readImport(node);
  if (!statement || statement.elements.every((element) => names.has(element.bound))) return unitText(source, unit);
  const kept = statement.elements.filter((element) => names.has(element.bound));
  if (statement.kind === "import") return kept.map((element) => `import ${element.node.text}\n`).join("");
  const module = statement.module.startsWith(".") ? `.${statement.module}` : statement.module;
  return `from ${module} import ${kept.map((element) => element.node.text).join(", ")}\n`;
}

/** `from .part import a, b` wrapped in parentheses, one name per line, when it would pass 88 columns. */
export function fromImport(module: string, names: readonly string[]): string {
  const line = `from ${module} import ${names.join(", ")}`;
  if (line.length <= 88) return `${line}\n`;
  return `from ${module} import (\n${names.map((name) => `    ${name},\n`).join("")})\n`;
}

/** `HttpClient` -> `http_client`, `GUIDerator` -> `gui_derator`, `_lstrip` -> `lstrip`: how a module named after a definition is spelled. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/^_+|_+$/g, "")
    .replace(/[^a-z0-9_]/g, "_");
}

/** A module name for a part, after its anchor definition (`HttpClient` -> `http_client`), never clashing with `taken`. */
export function partName(anchor: string, taken: Set<string>): string {
  let base = snakeCase(anchor);
  if (!base || /^[0-9]/.test(base)) base = `part_${base}`;
  // A part named like a name it defines would shadow that name's re-export with the submodule, so
  // `label()` lives in `_label.py`: a private module, its API re-exported by the package.
  let name = base;
  if (taken.has(name) || KEYWORDS.has(name)) name = `_${base}`;
  for (let suffix = 2; taken.has(name); suffix++) name = `_${base}_${suffix}`;
  taken.add(name);
  return name;
}

/**
 * The definition a part is named after: its most prominent public class or function, the one whose
 * references reach the most lines of the part (the entry point the rest serves; ties to its own
 * size, then the first), else such a private one, else the first name the part binds. Classes get
 * no precedence: a part of big functions and one small exception class is named after a function.
 */
export function anchorOf(units: readonly Unit[]): string {
  const definer = new Map<string, Unit>();
  for (const unit of units) for (const name of unit.defines) definer.set(name, unit);
  const reach = (start: Unit): number => {
    const seen = new Set<Unit>([start]);
    const queue = [start];
    let lines = 0;
    while (queue.length > 0) {
      const unit = queue.pop()!;
      lines += unit.lines;
      for (const name of unit.references) {
        const next = definer.get(name);
        if (next && !seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return lines;
  };
  const best = (candidates: Unit[]) =>
    candidates.map((unit) => ({ unit, reach: reach(unit) })).sort((a, b) => b.reach - a.reach || b.unit.lines - a.unit.lines || a.unit.index - b.unit.index)[0]?.unit;
  const definitions = units.filter((unit) => unit.label.kind !== "other");
  const anchor = best(definitions.filter((unit) => !unit.label.name.startsWith("_"))) ?? best(definitions) ?? units.find((unit) => unit.label.name);
  return anchor?.label.name || "part";
}
