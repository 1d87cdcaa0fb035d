/** Builtin functions, filters, tests and methods of the Jinja subset. */
import { ChatTemplateError } from "./errors.js";
import { Namespace, contains, iterate, member, stringify, toJson, truthy } from "./values.js";

export function builtins(): Record<string, unknown> {
  return {
    raise_exception: (message: unknown) => {
      throw new ChatTemplateError(`chat template raised: ${stringify(message)}`);
    },
    namespace: (kwargs: Record<string, unknown>) => new Namespace({ ...kwargs }),
    range: (...args: unknown[]) => {
      const numbers = args.map(Number);
      const [start, stop, step] = numbers.length === 1 ? [0, numbers[0], 1] : [numbers[0], numbers[1], numbers[2] ?? 1];
      const values: number[] = [];
      for (let i = start; step > 0 ? i < stop : i > stop; i += step) values.push(i);
      return values;
    },
    strftime_now: (format: unknown) => strftime(new Date(), String(format)),
    dict: (kwargs: Record<string, unknown>) => ({ ...kwargs }),
  };
}

/** Builtins that take keyword arguments as one object. */
export const KWARG_BUILTINS = new Set(["namespace", "dict"]);

export function callMethod(object: unknown, name: string, args: unknown[]): unknown {
  if (typeof object === "string") {
    const chars = args[0] === undefined ? undefined : String(args[0]);
    switch (name) {
      case "strip":
        return stripChars(stripChars(object, chars, "start"), chars, "end");
      case "lstrip":
        return stripChars(object, chars, "start");
      case "rstrip":
        return stripChars(object, chars, "end");
      case "upper":
        return object.toUpperCase();
      case "lower":
        return object.toLowerCase();
      case "title":
        return object.replace(/\w\S*/g, (word) => word[0].toUpperCase() + word.slice(1).toLowerCase());
      case "capitalize":
        return object.charAt(0).toUpperCase() + object.slice(1).toLowerCase();
      case "startswith":
        return (Array.isArray(args[0]) ? args[0] : [args[0]]).some((prefix) => object.startsWith(String(prefix)));
      case "endswith":
        return (Array.isArray(args[0]) ? args[0] : [args[0]]).some((suffix) => object.endsWith(String(suffix)));
      case "split":
        return args[0] === undefined || args[0] === null ? object.trim().split(/\s+/).filter(Boolean) : object.split(String(args[0]));
      case "replace":
        return object.replaceAll(String(args[0]), String(args[1]));
      case "find":
        return object.indexOf(String(args[0]));
      case "format":
        return object.replace(/\{\}/g, () => stringify(args.shift()));
      default:
        break;
    }
  } else if (Array.isArray(object)) {
    if (name === "append") {
      object.push(args[0]);
      return undefined;
    }
    if (name === "index") return object.indexOf(args[0]);
    if (name === "count") return object.filter((item) => item === args[0]).length;
  } else if (object !== null && typeof object === "object" && !(object instanceof Namespace)) {
    const record = object as Record<string, unknown>;
    if (name === "items") return Object.entries(record);
    if (name === "keys") return Object.keys(record);
    if (name === "values") return Object.values(record);
    if (name === "get") return Object.hasOwn(record, String(args[0])) ? record[String(args[0])] : args[1] ?? null;
  }
  throw new ChatTemplateError(`chat template: unsupported method ${name}() on ${Array.isArray(object) ? "list" : typeof object}`);
}

function stripChars(text: string, chars: string | undefined, side: "start" | "end"): string {
  const strip = (char: string) => (chars === undefined ? /\s/.test(char) : chars.includes(char));
  let start = 0;
  let end = text.length;
  if (side === "start") while (start < end && strip(text[start])) start++;
  else while (end > start && strip(text[end - 1])) end--;
  return text.slice(start, end);
}

/** Applies filter `name`; keyword arguments (tojson(indent=2), map(attribute='x'), default(boolean=true)) come in `kwargs`. */
export function applyFilter(name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown> = {}): unknown {
  switch (name) {
    case "trim":
      return stringify(value).trim();
    case "length":
    case "count":
      if (typeof value === "string" || Array.isArray(value)) return value.length;
      return value && typeof value === "object" ? Object.keys(value).length : 0;
    case "upper":
      return stringify(value).toUpperCase();
    case "lower":
      return stringify(value).toLowerCase();
    case "capitalize":
      return callMethod(stringify(value), "capitalize", []);
    case "title":
      return callMethod(stringify(value), "title", []);
    case "string":
      return stringify(value);
    case "int":
      return Number.parseInt(stringify(value), 10) || 0;
    case "float":
      return Number.parseFloat(stringify(value)) || 0;
    case "list":
      return iterate(value);
    case "first":
      return iterate(value)[0];
    case "last": {
      const items = iterate(value);
      return items[items.length - 1];
    }
    case "join":
      return iterate(value).map(stringify).join(args[0] === undefined ? "" : stringify(args[0]));
    case "default":
      return value === undefined || ((args[1] ?? kwargs.boolean) === true && !truthy(value)) ? (args[0] ?? kwargs.default_value) : value;
    case "replace":
      return stringify(value).replaceAll(stringify(args[0]), stringify(args[1]));
    case "tojson": {
      const indent = args[0] ?? kwargs.indent;
      return toJson(value, typeof indent === "number" ? indent : undefined);
    }
    case "safe":
    case "e":
    case "escape":
      return value;
    case "reverse":
      return typeof value === "string" ? Array.from(value).reverse().join("") : [...iterate(value)].reverse();
    case "selectattr":
    case "rejectattr": {
      const keep = name === "selectattr";
      return iterate(value).filter((item) => {
        const attribute = member(item, args[0]);
        const passed = args.length > 1 ? applyTest(String(args[1]), attribute, args.slice(2)) : truthy(attribute);
        return passed === keep;
      });
    }
    case "map":
      return iterate(value).map((item) => member(item, args[0] ?? kwargs.attribute));
    default:
      throw new ChatTemplateError(`chat template: unsupported filter "${name}"`);
  }
}

export function applyTest(name: string, value: unknown, args: unknown[]): boolean {
  switch (name) {
    case "defined":
      return value !== undefined;
    case "undefined":
      return value === undefined;
    case "none":
      return value === null;
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "true":
      return value === true;
    case "false":
      return value === false;
    case "mapping":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    case "iterable":
    case "sequence":
      return Array.isArray(value) || typeof value === "string" || (value !== null && typeof value === "object");
    case "even":
      return Number(value) % 2 === 0;
    case "odd":
      return Math.abs(Number(value) % 2) === 1;
    case "divisibleby":
      return Number(value) % Number(args[0]) === 0;
    case "equalto":
    case "eq":
    case "==":
      return value === args[0];
    case "in":
      return contains(args[0], value);
    default:
      throw new ChatTemplateError(`chat template: unsupported test "${name}"`);
  }
}

function strftime(date: Date, format: string): string {
  const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
  const two = (value: number) => String(value).padStart(2, "0");
  return format.replace(/%([dmYbBHMS%])/g, (_, code: string) => {
    switch (code) {
      case "d": return two(date.getDate());
      case "m": return two(date.getMonth() + 1);
      case "Y": return String(date.getFullYear());
      case "b": return months[date.getMonth()].slice(0, 3);
      case "B": return months[date.getMonth()];
      case "H": return two(date.getHours());
      case "M": return two(date.getMinutes());
      case "S": return two(date.getSeconds());
      default: return "%";
    }
  });
}
