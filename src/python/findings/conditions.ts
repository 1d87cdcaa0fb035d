import type { AnalysisNode } from "../parse/flat-node.js";
import { typeOf, typeOfMaybe } from "./nodes.js";

/**
 * Whether a condition is constant, decided the way vulture decides it: `and`/`or`/`not` are
 * evaluated over their operands, every operand that `ast.literal_eval` could evaluate counts by its
 * truth value, and every other operand takes the `unknown` default. Never evaluates code.
 */
/** `type` is the condition's node type when the caller has read it already (each read is a wasm call). */
export function conditionIsAlwaysFalse(condition: AnalysisNode, type = typeOf(condition)): boolean {
  return !evaluate(condition, true, 0, type);
}

export function conditionIsAlwaysTrue(condition: AnalysisNode, type = typeOf(condition)): boolean {
  return evaluate(condition, false, 0, type);
}

/** Deeper conditions (generated code) are not evaluated: they count as unknown. */
const MAX_DEPTH = 200;

function evaluate(node: AnalysisNode, unknown: boolean, depth: number, type = typeOf(node)): boolean {
  if (depth > MAX_DEPTH) return unknown;
  switch (type) {
    case "parenthesized_expression": {
      const inner = node.namedChildren.filter((child) => typeOfMaybe(child) !== "comment");
      return inner.length === 1 && inner[0] ? evaluate(inner[0], unknown, depth + 1) : unknown;
    }
    case "boolean_operator": {
      const left = node.childForFieldName("left");
      const right = node.childForFieldName("right");
      const operator = typeOfMaybe(node.childForFieldName("operator"));
      if (!left || !right) return unknown;
      const a = evaluate(left, unknown, depth + 1);
      const b = evaluate(right, unknown, depth + 1);
      return operator === "and" ? a && b : a || b;
    }
    case "not_operator": {
      const argument = node.childForFieldName("argument");
      return argument ? !evaluate(argument, !unknown, depth + 1) : unknown;
    }
    default: {
      const truth = literalTruth(node, type);
      return truth === undefined ? unknown : truth;
    }
  }
}

/** The truth value of a literal `ast.literal_eval` accepts, or undefined when it is not one. */
export function literalTruth(node: AnalysisNode, type = typeOf(node)): boolean | undefined {
  switch (type) {
    case "true":
    case "ellipsis":
      return true;
    case "false":
    case "none":
      return false;
    case "integer":
    case "float":
      return !isZeroNumber(node.text);
    case "unary_operator": {
      const operator = typeOfMaybe(node.childForFieldName("operator"));
      const argument = node.childForFieldName("argument");
      if ((operator !== "-" && operator !== "+") || !argument) return undefined;
      return typeOf(argument) === "integer" || typeOf(argument) === "float" ? literalTruth(argument) : undefined;
    }
    case "string":
      return stringTruth(node);
    case "concatenated_string": {
      let any = false;
      for (const part of node.namedChildren) {
        if (!part) continue;
        const truth = stringTruth(part);
        if (truth === undefined) return undefined;
        any ||= truth;
      }
      return any;
    }
    case "tuple":
    case "list":
    case "set":
    case "dictionary": {
      const elements = node.namedChildren.filter((child) => typeOfMaybe(child) !== "comment");
      for (const element of elements) if (!element || !isLiteral(element)) return undefined;
      return elements.length > 0;
    }
    case "parenthesized_expression": {
      const inner = node.namedChildren.filter((child) => typeOfMaybe(child) !== "comment");
      return inner.length === 1 && inner[0] ? literalTruth(inner[0]) : undefined;
    }
    default:
      return undefined;
  }
}

function isLiteral(node: AnalysisNode): boolean {
  if (typeOf(node) === "pair") {
    const key = node.childForFieldName("key");
    const value = node.childForFieldName("value");
    return !!key && !!value && isLiteral(key) && isLiteral(value);
  }
  return literalTruth(node) !== undefined;
}

/** f-strings are not literals for `ast.literal_eval`; other strings are truthy unless empty. */
function stringTruth(node: AnalysisNode): boolean | undefined {
  if (typeOf(node) !== "string") return undefined;
  let content = false;
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (typeOf(child) === "interpolation") return undefined;
    if (typeOf(child) === "string_content" || typeOf(child) === "escape_sequence") content = true;
  }
  return content;
}

/** `0`, `0x00`, `0_0`, `0.0`, `0e10`, `0j` are zero; any other numeric literal is not. */
function isZeroNumber(text: string): boolean {
  let digits = text.replace(/[jJlL]$/, "").replace(/_/g, "");
  if (/^0[xXoObB]/.test(digits)) digits = digits.slice(2);
  else digits = digits.replace(/[eE][-+]?\d+$/, "").replace(".", "");
  return /^0*$/.test(digits);
}
