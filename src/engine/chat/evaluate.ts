import type { Expr, Node } from "./ast.js";
import { ChatTemplateError } from "./errors.js";
import { KWARG_BUILTINS, applyFilter, applyTest, builtins, callMethod } from "./library.js";
import { Macro, Namespace, contains, iterate, member, stringify, truthy } from "./values.js";

/**
 * Renders a parsed template. Values are plain JS values with Python/Jinja semantics where a chat
 * template can tell the difference: truthiness (empty string/list/dict are false), `True`/`None`
 * when printed, string methods such as strip() and startswith(). Undefined names render as "" and
 * their attributes are undefined too (lenient, so optional fields like message.tool_calls can be
 * tested without `is defined`).
 */
type Scope = Map<string, unknown>;

export function render(nodes: Node[], globals: Record<string, unknown>): string {
  const scopes: Scope[] = [new Map(Object.entries(builtins())), new Map(Object.entries(globals))];
  const out: string[] = [];
  renderNodes(nodes, scopes, out);
  return out.join("");
}

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
      return applyFilter(
        expr.name,
        evaluate(expr.value, scopes),
        expr.args.map((arg) => evaluate(arg, scopes)),
        Object.fromEntries(expr.kwargs.map(([name, value]) => [name, evaluate(value, scopes)])),
      );
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
