/**
 * Names a `match` case pattern uses. A bare name is a capture (a binding, not a use); a dotted
 * name (`Color.RED`) and a class pattern's class are values read; keyword patterns
 * (`Point(x=0)`) use attribute names; everything else (literals, guards) is an expression.
 */
import type { AnalysisNode } from "../parse/flat-node.js";
import { typeOf } from "./nodes.js";

export interface PatternSink {
  /** A dotted name read as a value: its first part is a name read, the rest attribute names. */
  value(dotted: AnalysisNode): void;
  /** An attribute name a keyword pattern matches on. */
  attribute(name: string): void;
  /** Any other expression inside the pattern. */
  expression(node: AnalysisNode): void;
}

export function visitPattern(node: AnalysisNode, sink: PatternSink): void {
  switch (typeOf(node)) {
    case "dotted_name":
      if (significant(node).length > 1) sink.value(node);
      return;
    case "class_pattern":
      for (const child of significant(node)) {
        if (typeOf(child) === "dotted_name") sink.value(child);
        else visitPattern(child, sink);
      }
      return;
    case "keyword_pattern": {
      const [name, ...rest] = significant(node);
      if (name) sink.attribute(name.text);
      for (const child of rest) visitPattern(child, sink);
      return;
    }
    case "identifier":
      return;
    case "case_pattern":
    case "as_pattern":
    case "union_pattern":
    case "list_pattern":
    case "tuple_pattern":
    case "splat_pattern":
      for (const child of significant(node)) visitPattern(child, sink);
      return;
    case "dict_pattern":
      for (const child of significant(node)) {
        if (typeOf(child) === "case_pattern" || typeOf(child) === "splat_pattern") visitPattern(child, sink);
        else sink.expression(child);
      }
      return;
    default:
      sink.expression(node);
  }
}

function significant(node: AnalysisNode): AnalysisNode[] {
  const result: AnalysisNode[] = [];
  for (const child of node.namedChildren) if (child && typeOf(child) !== "comment") result.push(child);
  return result;
}
