import type { Expr, Node } from "./ast.js";
import { ChatTemplateError } from "./errors.js";

/**
 * Renders a parsed template. Values are plain JS values with Python/Jinja semantics where a chat
 * template can tell the difference: truthiness (empty string/list/dict are false), `True`/`None`
 * when printed, string methods such as strip() and startswith(). Undefined names render as "" and
 * their attributes are undefined too (lenient, so optional fields like message.tool_calls can be
 * tested without `is defined`).
 */
type Scope = Map<string, unknown>;

class Namespace {
  constructor(readonly values: Record<string, unknown>) {}
}

class Macro {
  constructor(readonly call: (args: unknown[], kwargs: Record<string, unknown>) => string) {}
}

export function render(nodes: Node[], globals: Record<string, unknown>): string {
  const scopes: Scope[] = [new Map(Object.entries(builtins())), new Map(Object.entries(globals))];
  const out: string[] = [];
  renderNodes(nodes, scopes, out);
  return out.join("");
}

function builtins(): Record<string, unknown> {
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
const KWARG_BUILTINS = new Set(["namespace", "dict"]);

function lookup(scopes: Scope[], name: string): unknown {
  for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i].has(name)) return scopes[i].get(name);
  return undefined;
}

function renderNodes(nodes: Node[], scopes: Scope[], out: string[]): void {
  for (const node of nodes) {
    switch (node.kind) {
      case "text":
        out.push(node.value);
        break;
      case "output":
        out.push(stringify(evaluate(node.value, scopes)));
        break;
      case "if": {
        const branch = node.branches.find((candidate) => truthy(evaluate(candidate.test, scopes)));
        renderNodes(branch ? branch.body : node.otherwise, scopes, out);
        break;
      }
      case "for":
        renderFor(node, scopes, out);
        break;
      case "set": {
        const value = evaluate(node.value, scopes);
        if (node.attribute === null) {
          scopes[scopes.length - 1].set(node.target, value);
        } else {
          const target = lookup(scopes, node.target);
          if (!(target instanceof Namespace)) {
            throw new ChatTemplateError(`chat template: cannot set attribute of "${node.target}", which is not a namespace()`);
          }
          target.values[node.attribute] = value;
        }
        break;
      }
      case "macro": {
        const macro = new Macro((args, kwargs) => {
          const local: Scope = new Map();
          node.params.forEach(([param, fallback], index) => {
            const value = index < args.length ? args[index] : param in kwargs ? kwargs[param] : fallback ? evaluate(fallback, scopes) : undefined;
            local.set(param, value);
          });
          const body: string[] = [];
          renderNodes(node.body, [...scopes, local], body);
          return body.join("");
        });
        scopes[scopes.length - 1].set(node.name, macro);
        break;
      }
    }
  }
}

function renderFor(node: Extract<Node, { kind: "for" }>, scopes: Scope[], out: string[]): void {
  let items = iterate(evaluate(node.iterable, scopes));
  const bind = (scope: Scope, item: unknown) => {
    if (node.targets.length === 1) {
      scope.set(node.targets[0], item);
      return;
    }
    const parts = Array.isArray(item) ? item : [];
    node.targets.forEach((target, index) => scope.set(target, parts[index]));
  };
  if (node.condition) {
    items = items.filter((item) => {
      const scope: Scope = new Map();
      bind(scope, item);
      return truthy(evaluate(node.condition!, [...scopes, scope]));
    });
  }
  if (items.length === 0) {
    renderNodes(node.otherwise, scopes, out);
    return;
  }
  const scope: Scope = new Map();
  const inner = [...scopes, scope];
  items.forEach((item, index) => {
    bind(scope, item);
    scope.set("loop", {
      index: index + 1,
      index0: index,
      revindex: items.length - index,
      revindex0: items.length - index - 1,
      first: index === 0,
      last: index === items.length - 1,
      length: items.length,
      previtem: index > 0 ? items[index - 1] : undefined,
      nextitem: index + 1 < items.length ? items[index + 1] : undefined,
    });
    renderNodes(node.body, inner, out);
  });
}

function iterate(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return Array.from(value);
  if (value instanceof Namespace) return Object.keys(value.values);
  if (typeof value === "object") return Object.keys(value as object);
  throw new ChatTemplateError(`chat template: cannot loop over ${typeof value}`);
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

function pythonRepr(value: unknown): string {
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

function evaluate(expr: Expr, scopes: Scope[]): unknown {
  switch (expr.kind) {
    case "literal":
      return expr.value;
    case "name":
      return lookup(scopes, expr.name);
    case "attribute":
      return member(evaluate(expr.object, scopes), expr.name);
    case "index":
      return member(evaluate(expr.object, scopes), evaluate(expr.index, scopes));
    case "slice": {
      const object = evaluate(expr.object, scopes);
      const bound = (part: Expr | null) => (part ? Number(evaluate(part, scopes)) : undefined);
      return slice(object, bound(expr.start), bound(expr.stop), bound(expr.step));
    }
    case "call":
      return call(expr, scopes);
    case "filter":
      return applyFilter(expr.name, evaluate(expr.value, scopes), expr.args.map((arg) => evaluate(arg, scopes)));
    case "test": {
      const result = applyTest(expr.name, evaluate(expr.value, scopes), expr.args.map((arg) => evaluate(arg, scopes)));
      return expr.negated ? !result : result;
    }
    case "unary": {
      const value = evaluate(expr.value, scopes);
      if (expr.op === "not") return !truthy(value);
      return expr.op === "-" ? -Number(value) : Number(value);
    }
    case "binary":
      return binary(expr, scopes);
    case "conditional":
      if (truthy(evaluate(expr.test, scopes))) return evaluate(expr.then, scopes);
      return expr.otherwise ? evaluate(expr.otherwise, scopes) : undefined;
    case "list":
      return expr.items.map((item) => evaluate(item, scopes));
    case "dict":
      return Object.fromEntries(expr.entries.map(([key, value]) => [stringify(evaluate(key, scopes)), evaluate(value, scopes)]));
  }
}

function member(object: unknown, key: unknown): unknown {
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

function slice(object: unknown, start?: number, stop?: number, step = 1): unknown {
  if (!Array.isArray(object) && typeof object !== "string") return undefined;
  const items = Array.isArray(object) ? object : Array.from(object);
  const length = items.length;
  const clamp = (value: number) => Math.max(0, Math.min(length, value < 0 ? length + value : value));
  const result: unknown[] = [];
  if (step > 0) {
    for (let i = start === undefined ? 0 : clamp(start); i < (stop === undefined ? length : clamp(stop)); i += step) result.push(items[i]);
  } else {
    const from = start === undefined ? length - 1 : Math.min(length - 1, start < 0 ? length + start : start);
    const to = stop === undefined ? -1 : stop < 0 ? length + stop : stop;
    for (let i = from; i > to; i += step) result.push(items[i]);
  }
  return typeof object === "string" ? result.join("") : result;
}

function call(expr: Extract<Expr, { kind: "call" }>, scopes: Scope[]): unknown {
  const args = expr.args.map((arg) => evaluate(arg, scopes));
  const kwargs = Object.fromEntries(expr.kwargs.map(([name, value]) => [name, evaluate(value, scopes)]));
  if (expr.callee.kind === "attribute") {
    const object = evaluate(expr.callee.object, scopes);
    return callMethod(object, expr.callee.name, args);
  }
  const callee = evaluate(expr.callee, scopes);
  if (callee instanceof Macro) return callee.call(args, kwargs);
  if (typeof callee === "function") {
    const name = expr.callee.kind === "name" ? expr.callee.name : "";
    return KWARG_BUILTINS.has(name) ? callee(kwargs) : callee(...args);
  }
  throw new ChatTemplateError(`chat template: ${expr.callee.kind === "name" ? expr.callee.name : "value"} is not callable`);
}

function callMethod(object: unknown, name: string, args: unknown[]): unknown {
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

function applyFilter(name: string, value: unknown, args: unknown[]): unknown {
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
      return value === undefined || (args[1] === true && !truthy(value)) ? args[0] : value;
    case "replace":
      return stringify(value).replaceAll(stringify(args[0]), stringify(args[1]));
    case "tojson":
      return toJson(value, typeof args[0] === "number" ? args[0] : undefined);
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
      return iterate(value).map((item) => member(item, args[0]));
    default:
      throw new ChatTemplateError(`chat template: unsupported filter "${name}"`);
  }
}

function applyTest(name: string, value: unknown, args: unknown[]): boolean {
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

function contains(container: unknown, item: unknown): boolean {
  if (typeof container === "string") return container.includes(stringify(item));
  if (Array.isArray(container)) return container.some((element) => element === item);
  if (container instanceof Namespace) return Object.hasOwn(container.values, String(item));
  if (container !== null && typeof container === "object") return Object.hasOwn(container, String(item));
  return false;
}

function binary(expr: Extract<Expr, { kind: "binary" }>, scopes: Scope[]): unknown {
  if (expr.op === "and") {
    const left = evaluate(expr.left, scopes);
    return truthy(left) ? evaluate(expr.right, scopes) : left;
  }
  if (expr.op === "or") {
    const left = evaluate(expr.left, scopes);
    return truthy(left) ? left : evaluate(expr.right, scopes);
  }
  const left = evaluate(expr.left, scopes);
  const right = evaluate(expr.right, scopes);
  switch (expr.op) {
    case "~":
      return stringify(left) + stringify(right);
    case "+":
      if (Array.isArray(left) && Array.isArray(right)) return [...left, ...right];
      if (typeof left === "string" || typeof right === "string") {
        if (typeof left !== "string" || typeof right !== "string") {
          throw new ChatTemplateError(`chat template: cannot add ${describeType(left)} and ${describeType(right)} (use ~ to concatenate)`);
        }
        return left + right;
      }
      return Number(left) + Number(right);
    case "-":
      return Number(left) - Number(right);
    case "*":
      if (typeof left === "string" && typeof right === "number") return left.repeat(right);
      return Number(left) * Number(right);
    case "/":
      return Number(left) / Number(right);
    case "//":
      return Math.floor(Number(left) / Number(right));
    case "%":
      return ((Number(left) % Number(right)) + Number(right)) % Number(right);
    case "==":
      return equals(left, right);
    case "!=":
      return !equals(left, right);
    case "<":
      return (left as number) < (right as number);
    case ">":
      return (left as number) > (right as number);
    case "<=":
      return (left as number) <= (right as number);
    case ">=":
      return (left as number) >= (right as number);
    case "in":
      return contains(right, left);
    default:
      throw new ChatTemplateError(`chat template: unsupported operator ${expr.op}`);
  }
}

function describeType(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "none";
  return Array.isArray(value) ? "list" : typeof value;
}

function equals(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (Array.isArray(left) && Array.isArray(right)) return left.length === right.length && left.every((item, i) => equals(item, right[i]));
  return false;
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
