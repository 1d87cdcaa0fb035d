/** Template values with Python/Jinja semantics: truthiness, printing, JSON, member access. */
import { ChatTemplateError } from "./errors.js";

export class Namespace {
  constructor(readonly values: Record<string, unknown>) {}
}

export class Macro {
  constructor(readonly call: (args: unknown[], kwargs: Record<string, unknown>) => string) {}
}

export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Namespace) return true;
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

/** Python's str() of a value, as Jinja prints it. */
export function stringify(value: unknown): string {
  if (value === undefined || value === null) return value === null ? "None" : "";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return pythonRepr(value);
}

export function pythonRepr(value: unknown): string {
  if (typeof value === "string") return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([key, item]) => `${pythonRepr(key)}: ${pythonRepr(item)}`).join(", ")}}`;
  }
  return stringify(value);
}

/** json.dumps with Python's default separators (", " and ": "), optional indent. */
export function toJson(value: unknown, indent?: number, depth = 0): string {
  if (value === undefined || value === null) return "null";
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  const pad = indent === undefined ? "" : `\n${" ".repeat(indent * (depth + 1))}`;
  const close = indent === undefined ? "" : `\n${" ".repeat(indent * depth)}`;
  const separator = indent === undefined ? ", " : ",";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[${value.map((item) => pad + toJson(item, indent, depth + 1)).join(separator)}${close}]`;
  }
  const entries = Object.entries(value instanceof Namespace ? value.values : (value as object));
  if (entries.length === 0) return "{}";
  return `{${entries.map(([key, item]) => `${pad}${JSON.stringify(key)}: ${toJson(item, indent, depth + 1)}`).join(separator)}${close}}`;
}

export function iterate(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return Array.from(value);
  if (value instanceof Namespace) return Object.keys(value.values);
  if (typeof value === "object") return Object.keys(value as object);
  throw new ChatTemplateError(`chat template: cannot loop over ${typeof value}`);
}

export function member(object: unknown, key: unknown): unknown {
  if (object === undefined || object === null) return undefined;
  if (object instanceof Namespace) return object.values[String(key)];
  if (Array.isArray(object) || typeof object === "string") {
    if (typeof key === "number") {
      const index = key < 0 ? object.length + key : key;
      return object[index];
    }
    return undefined;
  }
  if (typeof object === "object" && Object.hasOwn(object, String(key))) return (object as Record<string, unknown>)[String(key)];
  return undefined;
}

export function contains(container: unknown, item: unknown): boolean {
  if (typeof container === "string") return container.includes(stringify(item));
  if (Array.isArray(container)) return container.some((element) => element === item);
  if (container instanceof Namespace) return Object.hasOwn(container.values, String(item));
  if (container !== null && typeof container === "object") return Object.hasOwn(container, String(item));
  return false;
}
