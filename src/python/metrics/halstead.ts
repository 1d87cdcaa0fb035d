import type { AnalysisNode } from "../parse/flat-node.js";
import type { HalsteadMetrics } from "../types.js";
import { identifierText, operandKey } from "./halstead-operands.js";

/**
 * radon 5.1.0's Halstead metrics of a whole file (`radon hal -j`, the `total`), from a
 * tree-sitter tree instead of Python's `ast`. radon's `HalsteadVisitor` rules, mapped:
 *  - operators are the `ast` operator class names of BinOp, UnaryOp, BoolOp, AugAssign and every
 *    op of a Compare; h1 counts distinct names over the whole file (no context);
 *  - operands are BinOp left/right, UnaryOp operand, BoolOp values, AugAssign target/value and
 *    Compare left + comparators; each is identified as (context, value) where the value is a
 *    Name's id, an Attribute's attr, a Constant's value (Python equality: 1 == 1.0 == True), and
 *    for any other node the node object itself (always distinct); context is the innermost
 *    enclosing function's name (None at module and class level);
 *  - a `def` visits only its body: decorators, defaults and annotations of functions are not seen
 *    (those of classes and lambdas are);
 *  - a function's counts are added into the file's (radon merges every function visitor's sets
 *    and sums into its parent), so the file total is simply everything visited.
 * `a and b and c` is one BoolOp with three values in `ast`; tree-sitter nests it, so same-operator
 * chains without parentheses are flattened. A negative number or complex literal in a `case`
 * pattern is a UnaryOp/BinOp in `ast` and is counted as one.
 */
export function computeHalstead(root: AnalysisNode, source: string): HalsteadMetrics {
  void source;
  const counter = new HalsteadCounter();
  // Functions around the current node, innermost last. One pre-order query returns every node of
  // interest; ranges nest, so a scope is closed once a node starts at or after its end.
  const open: FunctionScope[] = [];
  let scopedFunction = -1;
  for (const node of queriedNodes(root)) {
    const position = node.startIndex;
    while (open.length > 0 && open[open.length - 1].end <= position) open.pop();
    const type = node.type;
    if (type === "decorated_definition" || type === "function_definition") {
      if (node.id === scopedFunction) continue;
      const definition = type === "decorated_definition" ? node.childForFieldName("definition") : node;
      if (definition?.type !== "function_definition") continue;
      // A decorated def is opened at its decorators, which radon does not visit either.
      scopedFunction = definition.id;
      open.push(functionScope(definition));
      continue;
    }
    const innermost = open.length > 0 ? open[open.length - 1] : null;
    if (innermost && position < innermost.bodyStart) continue; // a def's decorators, parameters, annotations
    counter.countNode(node, innermost ? innermost.name : MODULE_CONTEXT);
  }
  return halsteadReport(counter.operators.size, counter.distinctOperands(), counter.operatorCount, counter.operandCount);
}

interface FunctionScope {
  name: string;
  bodyStart: number;
  end: number;
}

function functionScope(definition: AnalysisNode): FunctionScope {
  const name = definition.childForFieldName("name");
  const body = definition.childForFieldName("body");
  return {
    name: name ? identifierText(name.text) : MODULE_CONTEXT,
    bodyStart: body ? body.startIndex : definition.endIndex,
    end: definition.endIndex,
  };
}

/** radon's `halstead_visitor_report`, with its float arithmetic (`math.log(x, 2)` is ln x / ln 2). */
export function halsteadReport(h1: number, h2: number, N1: number, N2: number): HalsteadMetrics {
  const vocabulary = h1 + h2;
  const length = N1 + N2;
  const calculatedLength = h1 && h2 ? h1 * (Math.log(h1) / Math.LN2) + h2 * (Math.log(h2) / Math.LN2) : 0;
  const volume = vocabulary !== 0 ? length * (Math.log(vocabulary) / Math.LN2) : 0;
  const difficulty = h2 !== 0 ? (h1 * N2) / (2 * h2) : 0;
  const effort = difficulty * volume;
  return {
    h1,
    h2,
    N1,
    N2,
    vocabulary,
    length,
    calculatedLength,
    volume,
    difficulty,
    effort,
    time: effort / 18,
    bugs: volume / 3000,
  };
}

/** Context of code outside any function (radon's `None`); cannot collide with a function name. */
const MODULE_CONTEXT = "\u0001";

const BINARY_OPERATORS: Record<string, string> = {
  "+": "Add",
  "-": "Sub",
  "*": "Mult",
  "@": "MatMult",
  "/": "Div",
  "%": "Mod",
  "**": "Pow",
  "<<": "LShift",
  ">>": "RShift",
  "|": "BitOr",
  "^": "BitXor",
  "&": "BitAnd",
  "//": "FloorDiv",
};

const UNARY_OPERATORS: Record<string, string> = { "+": "UAdd", "-": "USub", "~": "Invert" };

const COMPARISON_OPERATORS: Record<string, string> = {
  "==": "Eq",
  "!=": "NotEq",
  "<>": "NotEq",
  "<": "Lt",
  "<=": "LtE",
  ">": "Gt",
  ">=": "GtE",
  is: "Is",
  "is not": "IsNot",
  in: "In",
  "not in": "NotIn",
};

/** Functions (their scopes), and the nodes that hold operators: the operator nodes, and patterns
 * whose `-` before a number is a UnaryOp in `ast` (`case -1:`). */
const QUERIED_TYPES = [
  "function_definition",
  "decorated_definition",
  "binary_operator",
  "unary_operator",
  "not_operator",
  "boolean_operator",
  "augmented_assignment",
  "comparison_operator",
  "complex_pattern",
  "chevron",
  "case_pattern",
  "union_pattern",
  "list_pattern",
  "tuple_pattern",
  "dict_pattern",
  "keyword_pattern",
  "as_pattern",
  "class_pattern",
];

/** Every node of QUERIED_TYPES in document order. On a FlatTree this is one scan of a typed array;
 * the order check keeps the wasm tree's answer in document order too. */
function queriedNodes(root: AnalysisNode): AnalysisNode[] {
  const nodes = root.descendantsOfType(QUERIED_TYPES);
  for (let index = 1; index < nodes.length; index++) {
    if (nodes[index].startIndex < nodes[index - 1].startIndex) {
      return nodes.sort((left, right) => left.startIndex - right.startIndex || right.endIndex - left.endIndex);
    }
  }
  return nodes;
}

/** Children without extras (comments, backslash line continuations). */
function tokenChildren(node: AnalysisNode): AnalysisNode[] {
  const children: AnalysisNode[] = [];
  for (let index = 0; index < node.childCount; index++) {
    const child = node.child(index) as AnalysisNode;
    if (!child.isExtra) children.push(child);
  }
  return children;
}

/** `a and b and c` nests as ((a and b) and c) in tree-sitter; the inner node is part of the
 * outer BoolOp unless parentheses separate them (then a parenthesized_expression sits between). */
function isChainedBoolean(node: AnalysisNode): boolean {
  const parent = node.parent;
  return parent?.type === "boolean_operator" && parent.childForFieldName("operator")?.type === node.childForFieldName("operator")?.type;
}

class HalsteadCounter {
  readonly operators = new Set<string>();
  /** `context \0 value` of every operand identified by value. */
  private readonly operandKeys = new Set<string>();
  /** Operands identified by node identity: each one is distinct. */
  private uniqueOperands = 0;
  operatorCount = 0;
  operandCount = 0;

  distinctOperands(): number {
    return this.operandKeys.size + this.uniqueOperands;
  }

  countNode(node: AnalysisNode, context: string): void {
    switch (node.type) {
      case "binary_operator": {
        const operator = node.childForFieldName("operator");
        this.count(BINARY_OPERATORS[operator?.type ?? ""] ?? "BinOp", [node.childForFieldName("left"), node.childForFieldName("right")], context);
        return;
      }
      case "unary_operator": {
        const operator = node.childForFieldName("operator");
        this.count(UNARY_OPERATORS[operator?.type ?? ""] ?? "UnaryOp", [node.childForFieldName("argument")], context);
        return;
      }
      case "not_operator":
        this.count("Not", [node.childForFieldName("argument")], context);
        return;
      case "boolean_operator":
        if (!isChainedBoolean(node)) this.countBoolean(node, context);
        return;
      case "augmented_assignment": {
        const operator = node.childForFieldName("operator")?.type ?? "";
        this.count(BINARY_OPERATORS[operator.slice(0, -1)] ?? "AugAssign", [node.childForFieldName("left"), node.childForFieldName("right")], context);
        return;
      }
      case "comparison_operator":
        this.countComparison(node, context);
        return;
      case "complex_pattern":
        this.countComplexPattern(node, context);
        return;
      case "chevron":
        this.countChevron(node, context);
        return;
      default:
        this.countNegativeLiterals(node, context);
    }
  }

  /** `case -1:` is MatchValue(UnaryOp(USub, Constant 1)) in `ast`; tree-sitter has `-` and the
   * number side by side in the pattern. */
  private countNegativeLiterals(pattern: AnalysisNode, context: string): void {
    const children = tokenChildren(pattern);
    for (let index = 0; index + 1 < children.length; index++) {
      if (children[index].type !== "-") continue;
      const literal = children[index + 1];
      if (literal.type === "integer" || literal.type === "float") this.count("USub", [literal], context);
    }
  }

  private count(operator: string, operands: Array<AnalysisNode | null>, context: string): void {
    this.operators.add(operator);
    this.operatorCount++;
    for (const operand of operands) {
      this.operandCount++;
      this.addOperand(operand, context);
    }
  }

  private addOperand(operand: AnalysisNode | null, context: string): void {
    const key = operand ? operandKey(operand) : null;
    if (key === null) this.uniqueOperands++;
    else this.operandKeys.add(`${context}\u0000${key}`);
  }

  /** One BoolOp for a maximal chain `a and b and c` (left-nested in tree-sitter, flat in `ast`). */
  private countBoolean(node: AnalysisNode, context: string): void {
    const operator = node.childForFieldName("operator")?.type ?? "";
    const values: Array<AnalysisNode | null> = [];
    let current: AnalysisNode | null = node;
    while (current) {
      values.push(current.childForFieldName("right"));
      const left: AnalysisNode | null = current.childForFieldName("left");
      if (left?.type === "boolean_operator" && left.childForFieldName("operator")?.type === operator) {
        current = left;
      } else {
        values.push(left);
        current = null;
      }
    }
    this.count(operator === "and" ? "And" : "Or", values, context);
  }

  /** Compare: one operator per op, operands are the left side and every comparator. */
  private countComparison(node: AnalysisNode, context: string): void {
    const childCount = node.childCount;
    for (let index = 0; index < childCount; index++) {
      const child = node.child(index) as AnalysisNode;
      if (node.fieldNameForChild(index) === "operators") {
        const name = COMPARISON_OPERATORS[child.type.replace(/\s+/g, " ")] ?? "Compare";
        this.operators.add(name);
        this.operatorCount++;
      } else if (child.isNamed && !child.isExtra) {
        this.operandCount++;
        this.addOperand(child, context);
      }
    }
  }

  /** tree-sitter reads `print >>f, x` as a Python 2 print statement; Python 3 parses it as
   * `(print >> f), x`: a BinOp RShift of the name `print` and the target. */
  private countChevron(node: AnalysisNode, context: string): void {
    const target = tokenChildren(node).find((child) => child.isNamed) ?? null;
    this.operators.add("RShift");
    this.operatorCount++;
    this.operandCount += 2;
    this.operandKeys.add(`${context}\u0000s:print`);
    this.addOperand(target, context);
  }

  /** `case -1.5 + 2j:` is BinOp(UnaryOp(USub, 1.5), Add, 2j) in `ast`. */
  private countComplexPattern(node: AnalysisNode, context: string): void {
    const children = tokenChildren(node);
    let position = 0;
    let left: AnalysisNode | null = null;
    if (children[0]?.type === "-") {
      this.count("USub", [children[1] ?? null], context);
      position = 2;
    } else {
      left = children[0] ?? null;
      position = 1;
    }
    const operator = children[position]?.type === "-" ? "Sub" : "Add";
    this.operators.add(operator);
    this.operatorCount++;
    this.operandCount += 2;
    if (left) this.addOperand(left, context);
    else this.uniqueOperands++;
    this.addOperand(children[position + 1] ?? null, context);
  }
}
