/**
 * The one walk over a module's tree that feeds both `extractFacts` and `localFindings`: every
 * definition, import, read name and call, the unused imports and locals of each scope (resolved
 * when the scope closes), and vulture's unreachable-code rules.
 */
import type { AnalysisNode } from "../parse/flat-node.js";
import { typeOf, typeOfMaybe } from "./nodes.js";
import { type BindingContext, type BindMode, bindTarget } from "./bindings.js";
import {
  decoratorName,
  isDunder,
  isSunder,
  looksLikeEnum,
  looksLikeTestCase,
  MODULE_HOOKS,
  summarizeDecorators,
  UNITTEST_METHOD_HOOKS,
} from "./conventions.js";
import { readImportStatement } from "./import-statements.js";
import { type ModuleAnalysis, ModuleState } from "./module-state.js";
import { type PatternSink, visitPattern } from "./patterns.js";
import { newScope, type Scope } from "./scopes.js";
import { hasFormatPrefix, identifierAt, identifierPrefix, identifierSuffix, stringContent, TYPE_COMMENT } from "./strings.js";
import { afterTerminator, constantIf, constantTernary, constantWhile, ifChain, terminatorOf } from "./unreachable.js";
import type { NameUses } from "./uses.js";

export type { ModuleAnalysis } from "./module-state.js";

const DYNAMIC_CALLS = new Set(["locals", "vars", "eval", "exec", "sys._getframe", "inspect.currentframe", "inspect.stack"]);
/** Calls that can read module globals by a computed name (`globals()[name]`, `eval(text)`). */
const GLOBAL_LOOKUPS = new Set(["globals", "eval", "exec", "vars"]);
/** String methods that change a computed name's case or whitespace but keep its literal prefix. */
const CASE_CHANGES = new Set(["lower", "upper", "casefold", "strip", "lstrip", "rstrip"]);

/** `name.lower()` → `name` (repeatedly); anything else unchanged. Returns the node and its type. */
function withoutCaseChange(node: AnalysisNode, type: string): [AnalysisNode, string] {
  let current = node;
  let currentType = type;
  while (currentType === "call") {
    const callee = current.childForFieldName("function");
    const args = current.childForFieldName("arguments");
    if (!callee || typeOf(callee) !== "attribute" || (args && args.namedChildren.some((child) => child && typeOf(child) !== "comment"))) break;
    const method = callee.childForFieldName("attribute");
    const object = callee.childForFieldName("object");
    if (!method || !object || !CASE_CHANGES.has(method.text)) break;
    current = object;
    currentType = typeOf(object);
  }
  return [current, currentType];
}

/** True when a body holds only import statements, besides a docstring and comments. */
function onlyImports(body: AnalysisNode): boolean {
  let imports = 0;
  for (const child of body.namedChildren) {
    if (!child) continue;
    const type = typeOf(child);
    if (type === "import_statement" || type === "import_from_statement") imports++;
    else if (type === "comment") continue;
    else if (type !== "expression_statement" || typeOfMaybe(child.namedChildren[0]) !== "string") return false;
  }
  return imports > 0;
}

/** Node types without named children: asking for their children would be a wasted wasm call. */
const LEAVES = new Set([
  "integer",
  "float",
  "true",
  "false",
  "none",
  "ellipsis",
  "pass_statement",
  "break_statement",
  "continue_statement",
  "escape_sequence",
  "wildcard_import",
  "import_prefix",
  "line_continuation",
  "keyword_separator",
  "positional_separator",
]);
/** Nesting depth past which the walk turns iterative (each level costs a few stack frames). */
const MAX_DEPTH = 1000;

function line(node: AnalysisNode): number {
  return node.startPosition.row + 1;
}

function endLine(node: AnalysisNode): number {
  return node.endPosition.row + 1;
}

/**
 * web-tree-sitter keeps a node's `namedChildren` array on the node object (`_namedChildren`). A
 * visited node drops it: the walk never comes back to a finished subtree, and otherwise every
 * Node object read so far stays reachable from the root until the walk ends, so the garbage
 * collector copies and promotes them all (measured: 17% of the walk's CPU time on the stdlib).
 * Reading `namedChildren` again after this only costs a fresh wasm call.
 */
function releaseChildren(node: AnalysisNode): void {
  (node as unknown as { _namedChildren?: unknown })._namedChildren = undefined;
}

function significant(node: AnalysisNode): AnalysisNode[] {
  const result: AnalysisNode[] = [];
  for (const child of node.namedChildren) if (child && typeOf(child) !== "comment") result.push(child);
  return result;
}

export function analyzeModule(root: AnalysisNode, source: string): ModuleAnalysis {
  const walker = new FindingsWalker(source, root);
  walker.visit(root);
  return walker.finish();
}

interface DefinitionParts {
  name: string | undefined;
  parameters: AnalysisNode | undefined;
  returnType: AnalysisNode | undefined;
  superclasses: AnalysisNode | undefined;
  body: AnalysisNode | undefined;
  comments: AnalysisNode[];
}

class FindingsWalker {
  private readonly state: ModuleState;
  private readonly bindingContext: BindingContext;
  /** Depth of `if TYPE_CHECKING:` / `if __name__ == "__main__":` bodies around the walk. */
  private typeCheckingDepth = 0;
  private importGuardDepth = 0;
  private annotationDepth = 0;
  /** Set while visiting the value of an `__all__` assignment: its strings are exported names. */
  private collectingAll = false;
  /** The last attribute callee whose last child calleeText found to be an identifier (spares visitAttribute that read). */
  private attributeEndsInName: AnalysisNode | undefined;
  /** Current recursion depth of `visit`. */
  private depth = 0;
  private readonly patternSink: PatternSink = {
    value: (dotted) => this.visitDottedValue(dotted),
    attribute: (name) => this.uses.others.add(name),
    expression: (node) => this.visit(node),
  };

  constructor(
    private readonly source: string,
    root: AnalysisNode,
  ) {
    this.state = new ModuleState(source, root.startIndex, root.endIndex);
    this.bindingContext = { state: this.state, source, visit: (node, type) => this.visit(node, type) };
  }

  finish(): ModuleAnalysis {
    return this.state.finish();
  }

  private get scope(): Scope {
    return this.state.scope;
  }

  /** Binds an assignment, loop, `with` or comprehension target (see bindings.ts). */
  private bind(target: AnalysisNode, mode: BindMode, statement: AnalysisNode, options: { annotatedOnly?: boolean; type?: string } = {}): void {
    bindTarget(target, mode, statement, this.bindingContext, options.annotatedOnly ?? false, options.type ?? typeOf(target));
  }

  private get uses(): NameUses {
    return this.state.uses;
  }

  private read(name: string, offset: number): void {
    this.state.uses.read(name, offset);
  }

  /** `type` is the node's type when the caller has already read it (each read is a wasm call). */
  visit(node: AnalysisNode, type?: string): void {
    if (this.depth >= MAX_DEPTH) {
      this.scanFlat(node);
      return;
    }
    this.depth++;
    this.visitNode(node, type ?? typeOf(node));
    releaseChildren(node);
    this.depth--;
  }

  /**
   * Past MAX_DEPTH nesting (generated 5,000-term expressions) the recursive walk would overflow
   * the stack: the rest of the subtree is scanned iteratively, every identifier counted as both a
   * name read and an attribute read. That can only hide findings in that subtree.
   */
  private scanFlat(root: AnalysisNode): void {
    const stack: AnalysisNode[] = [root];
    for (let node = stack.pop(); node; node = stack.pop()) {
      if (typeOf(node) === "identifier") {
        const name = identifierAt(this.source, node.startIndex);
        this.read(name, node.startIndex);
        this.uses.attributes.add(name);
        continue;
      }
      for (const child of node.namedChildren) if (child) stack.push(child);
    }
  }

  private visitNode(node: AnalysisNode, type: string): void {
    switch (type) {
      case "identifier":
        this.read(identifierAt(this.source, node.startIndex), node.startIndex);
        return;
      case "comment":
        this.visitComment(node);
        return;
      case "module":
      case "block":
        this.visitBody(node);
        return;
      case "import_statement":
      case "import_from_statement":
      case "future_import_statement":
        this.visitImport(node);
        return;
      case "decorated_definition":
        this.visitDecorated(node);
        return;
      case "function_definition":
        this.visitFunction(node, [], node);
        return;
      case "class_definition":
        this.visitClass(node, [], node);
        return;
      case "lambda":
        this.visitLambda(node);
        return;
      case "assignment":
        this.visitAssignment(node);
        return;
      case "augmented_assignment":
        this.visitAugmentedAssignment(node);
        return;
      case "named_expression": {
        const value = node.childForFieldName("value");
        if (value) this.visit(value);
        return;
      }
      case "for_statement":
      case "for_in_clause":
        this.visitFor(node);
        return;
      case "with_item":
        this.visitWithItem(node);
        return;
      case "except_clause":
      case "except_group_clause":
        this.visitExcept(node);
        return;
      case "try_statement":
        this.visitTry(node);
        return;
      case "global_statement":
      case "nonlocal_statement":
        for (const child of significant(node)) {
          this.scope.declared.add(child.text);
          this.read(child.text, child.startIndex);
        }
        return;
      case "attribute":
        this.visitAttribute(node);
        return;
      case "dotted_name":
        this.visitDottedValue(node);
        return;
      case "keyword_argument": {
        const [name, ...rest] = node.namedChildren;
        if (typeOfMaybe(name) === "identifier") this.uses.others.add(identifierAt(this.source, name.startIndex));
        for (const child of rest) if (child) this.visit(child);
        return;
      }
      case "call":
        this.visitCall(node);
        return;
      case "string":
        this.visitString(node);
        return;
      case "if_statement":
        this.visitIf(node);
        return;
      case "while_statement":
        this.state.addUnreachable(...constantWhile(node));
        this.visitChildren(node);
        return;
      case "conditional_expression":
        this.state.addUnreachable(...constantTernary(node, significant(node)));
        this.visitChildren(node);
        return;
      case "case_clause":
        for (const child of node.namedChildren) {
          if (!child) continue;
          if (typeOf(child) === "case_pattern") visitPattern(child, this.patternSink);
          else this.visit(child);
        }
        return;
      case "type":
        this.annotationDepth++;
        this.visitChildren(node);
        this.annotationDepth--;
        return;
      case "subscript":
        this.visitSubscript(node);
        return;
      case "yield":
        this.state.yielded(line(node));
        this.visitChildren(node);
        return;
      case "exec_statement":
        this.markDynamic();
        this.visitChildren(node);
        return;
      default:
        if (!LEAVES.has(type)) this.visitChildren(node);
    }
  }

  private visitChildren(node: AnalysisNode): void {
    for (const child of node.namedChildren) if (child) this.visit(child);
  }

  // ---- statements lists and unreachable code -------------------------------------------------

  private visitBody(node: AnalysisNode): void {
    let terminator: string | undefined;
    let reported = false;
    for (const child of node.namedChildren) {
      if (!child) continue;
      const type = typeOf(child);
      if (type !== "comment") {
        if (terminator && !reported) {
          reported = true;
          this.state.addUnreachable(afterTerminator(node, child, terminator));
        }
        terminator ??= terminatorOf(child, type);
      }
      this.visit(child, type);
    }
  }

  private visitIf(node: AnalysisNode): void {
    const chain = ifChain(node);
    this.state.addUnreachable(...constantIf(chain));
    for (const clause of chain.clauses) {
      this.visit(clause.condition, clause.conditionType);
      // Imports under `if TYPE_CHECKING:` never run; under `if __name__ == "__main__":` they run
      // only when the module is a script. Neither is a load-time edge.
      const notLoaded = this.isNotLoadedCondition(clause.condition);
      if (notLoaded) this.typeCheckingDepth++;
      this.visit(clause.body, "block");
      if (notLoaded) this.typeCheckingDepth--;
    }
    if (chain.elseBody) this.visit(chain.elseBody, "block");
    for (const comment of chain.comments) this.visitComment(comment);
  }

  /**
   * `TYPE_CHECKING`, `typing.TYPE_CHECKING` or `__name__ == "__main__"`. The text (a wasm call for
   * its end) is read only when the condition starts with `__name__`, `TYPE_CHECKING` or a name and
   * a dot, which every match does.
   */
  private isNotLoadedCondition(condition: AnalysisNode): boolean {
    const start = condition.startIndex;
    const head = identifierAt(this.source, start);
    if (head !== "TYPE_CHECKING" && head !== "__name__" && this.source.charCodeAt(start + head.length) !== 46) return false;
    const text = condition.text;
    return /^(\w+\.)?TYPE_CHECKING$/.test(text) || /^__name__\s*==\s*["']__main__["']$/.test(text);
  }

  private visitTry(node: AnalysisNode): void {
    let guards = false;
    for (const child of node.namedChildren) {
      if (typeOfMaybe(child) !== "except_clause" && typeOfMaybe(child) !== "except_group_clause") continue;
      const value = child.childForFieldName("value");
      if (!value || /\b(ImportError|ModuleNotFoundError|Exception|BaseException)\b/.test(value.text)) guards = true;
    }
    for (const child of node.namedChildren) {
      if (!child) continue;
      const isBody = typeOf(child) === "block";
      if (isBody && guards) this.importGuardDepth++;
      this.visit(child);
      if (isBody && guards) this.importGuardDepth--;
    }
  }

  // ---- imports ---------------------------------------------------------------------------------

  private importFact(module: string, names: string[], bound: string[], node: AnalysisNode): void {
    let level = 0;
    while (module[level] === ".") level++;
    const inFunction = this.state.functionScope() !== undefined;
    const conditional = inFunction || this.scope.kind === "class" || this.typeCheckingDepth > 0 || this.importGuardDepth > 0;
    const loadTime = !inFunction && this.typeCheckingDepth === 0;
    this.state.imports.push({ module, level, names, bound, line: line(node), conditional, loadTime });
  }

  private visitImport(node: AnalysisNode): void {
    for (const imported of readImportStatement(node)) {
      this.importFact(imported.module, imported.names, imported.bound, node);
      // `from m import f as _f` uses `f` of module m under another name (vulture does the same).
      for (const name of imported.names) if (name !== "*") this.uses.others.add(name);
      for (const binding of imported.bindings) {
        this.scope.imports.push({ ...binding, line: line(node), endLine: endLine(node), guarded: this.importGuardDepth > 0 });
      }
    }
  }

  // ---- definitions -----------------------------------------------------------------------------

  private qualify(name: string): string {
    const prefix = this.scope.qualName;
    return prefix ? `${prefix}.${name}` : name;
  }

  private visitDecorated(node: AnalysisNode): void {
    const decorators: AnalysisNode[] = [];
    for (const child of node.namedChildren) {
      if (typeOfMaybe(child) === "decorator") {
        decorators.push(child);
        this.visitChildren(child);
      }
    }
    const definition = node.childForFieldName("definition");
    if (definition && typeOf(definition) === "function_definition") this.visitFunction(definition, decorators, node);
    else if (definition && typeOf(definition) === "class_definition") this.visitClass(definition, decorators, node);
  }

  private visitFunction(node: AnalysisNode, decorators: AnalysisNode[], outer: AnalysisNode): void {
    if (this.scope.kind === "module") this.state.moduleDefinitions++;
    const parts = this.definitionParts(node);
    const name = parts.name ?? "<anonymous>";
    const parent = this.scope;
    const decorations = summarizeDecorators(decorators.map(decoratorName));
    const isMethod = parent.kind === "class";
    const qualName = this.qualify(name);
    if (!decorations.accessor && !decorations.overload) {
      const testHook = isMethod
        ? parent.testCase && (/^(test|setUp|tearDown|asyncSetUp|asyncTearDown)/.test(name) || UNITTEST_METHOD_HOOKS.has(name))
        : parent.kind === "module" && (MODULE_HOOKS.has(name) || name.startsWith("pytest_"));
      this.state.define({
        name: qualName,
        kind: isMethod ? (decorations.property ? "property" : "method") : "function",
        line: line(node),
        endLine: endLine(node),
        confidence: 60,
        implicitlyUsed: isDunder(name) || isSunder(name) || decorations.registers || testHook,
        ...(decorators.length > 0 ? { startLine: line(outer) } : {}),
      });
    }

    const scope = newScope("function", qualName, node.startIndex, node.endIndex);
    scope.importsOnly = parts.body !== undefined && onlyImports(parts.body);
    const firstParameter = parts.parameters ? this.visitParameters(parts.parameters) : undefined;
    if (isMethod && !decorations.staticmethod && firstParameter) {
      scope.selfName = firstParameter;
      scope.className = parent.qualName;
    } else if (parent.kind === "function") {
      scope.selfName = parent.selfName;
      scope.className = parent.className;
    }
    if (parts.returnType) this.visit(parts.returnType, "type");

    this.state.scopes.push(scope);
    for (const comment of parts.comments) this.visitComment(comment);
    if (parts.body) this.visit(parts.body, "block");
    this.state.scopes.pop();
    this.state.closeFunction(scope);
  }

  /** Visits defaults and annotations (evaluated in the enclosing scope); returns the first parameter's name. */
  private visitParameters(parameters: AnalysisNode): string | undefined {
    let first: string | undefined;
    for (const parameter of parameters.namedChildren) {
      if (!parameter) continue;
      switch (typeOf(parameter)) {
        case "identifier":
          first ??= identifierAt(this.source, parameter.startIndex);
          break;
        case "default_parameter":
        case "typed_default_parameter":
        case "typed_parameter": {
          const nameNode = parameter.childForFieldName("name") ?? parameter.namedChildren[0];
          if (typeOfMaybe(nameNode) === "identifier") first ??= identifierAt(this.source, (nameNode as AnalysisNode).startIndex);
          else first ??= "";
          const type = parameter.childForFieldName("type");
          const value = parameter.childForFieldName("value");
          if (type) this.visit(type);
          if (value) this.visit(value);
          break;
        }
        case "list_splat_pattern":
        case "dictionary_splat_pattern":
          first ??= "";
          break;
        case "comment":
          break;
        default:
          if (typeOf(parameter) !== "positional_separator" && typeOf(parameter) !== "keyword_separator") this.visit(parameter);
      }
    }
    return first || undefined;
  }

  private visitClass(node: AnalysisNode, decorators: AnalysisNode[], outer: AnalysisNode): void {
    if (this.scope.kind === "module") this.state.moduleDefinitions++;
    const parts = this.definitionParts(node);
    const name = parts.name ?? "<anonymous>";
    const qualName = this.qualify(name);
    const bases: string[] = [];
    const superclasses = parts.superclasses;
    if (superclasses) {
      for (const base of superclasses.namedChildren) {
        if (!base) continue;
        if (typeOf(base) !== "keyword_argument" && typeOf(base) !== "comment" && typeOf(base) !== "list_splat" && typeOf(base) !== "dictionary_splat") {
          bases.push(typeOf(base) === "subscript" ? (base.childForFieldName("value")?.text ?? base.text) : base.text);
        }
        this.visit(base);
      }
    }
    const decorations = summarizeDecorators(decorators.map(decoratorName));
    this.state.define({
      name: qualName,
      kind: "class",
      line: line(node),
      endLine: endLine(node),
      confidence: 60,
      // unittest finds TestCase subclasses by loading the module: no reference names them.
      implicitlyUsed: isDunder(name) || decorations.registers || bases.some(looksLikeTestCase),
      bases,
      ...(decorators.length > 0 ? { startLine: line(outer) } : {}),
    });
    const scope = newScope("class", qualName, node.startIndex, node.endIndex);
    scope.testCase = bases.some(looksLikeTestCase);
    scope.enumLike = bases.some(looksLikeEnum) || decorators.some((decorator) => /enum/i.test(decoratorName(decorator)));
    this.state.scopes.push(scope);
    for (const comment of parts.comments) this.visitComment(comment);
    if (parts.body) this.visit(parts.body, "block");
    this.state.scopes.pop();
    this.state.classImports.push(...scope.imports);
    this.state.closePrefixes(scope);
  }

  /**
   * The fields of a `def` or `class` told apart by their node types, from one `namedChildren` read
   * (a field lookup is a wasm call and a new node object each). In the grammar each of these types
   * occurs once among a definition's named children: `name` is the only identifier, `parameters`
   * the only parameters node, `return_type` the only `type`, `superclasses` the only
   * argument_list and `body` the only block; comments there are type comments.
   */
  private definitionParts(node: AnalysisNode): DefinitionParts {
    const parts: DefinitionParts = { name: undefined, parameters: undefined, returnType: undefined, superclasses: undefined, body: undefined, comments: [] };
    for (const child of node.namedChildren) {
      if (!child) continue;
      switch (typeOf(child)) {
        case "identifier":
          parts.name ??= identifierAt(this.source, child.startIndex);
          break;
        case "parameters":
          parts.parameters ??= child;
          break;
        case "type":
          parts.returnType ??= child;
          break;
        case "argument_list":
          parts.superclasses ??= child;
          break;
        case "block":
          parts.body ??= child;
          break;
        case "comment":
          parts.comments.push(child);
          break;
      }
    }
    return parts;
  }

  private visitLambda(node: AnalysisNode): void {
    const parameters = node.childForFieldName("parameters");
    if (parameters) this.visitParameters(parameters);
    const body = node.childForFieldName("body");
    if (body) this.visit(body);
  }

  // ---- assignments and bindings ----------------------------------------------------------------

  private visitAssignment(node: AnalysisNode): void {
    // (left, [type], [right]) in order; the annotation is the only child of type `type`.
    let left: AnalysisNode | undefined;
    let leftType = "";
    let type: AnalysisNode | undefined;
    let right: AnalysisNode | undefined;
    let rightType = "";
    for (const child of node.namedChildren) {
      if (!child) continue;
      const childType = typeOf(child);
      if (childType === "comment") continue;
      if (!left) {
        left = child;
        leftType = childType;
      } else if (!type && !right && childType === "type") type = child;
      else {
        right = child;
        rightType = childType;
      }
    }
    const isAll = this.scope.kind === "module" && !!left && leftType === "identifier" && identifierAt(this.source, left.startIndex) === "__all__";
    if (left) {
      if (isAll) this.state.dunderAll ??= [];
      else this.bind(left, "assign", node, { annotatedOnly: !right && !!type, type: leftType });
      // `method = "visit_" + kind` then `getattr(self, method)`: dispatch by name prefix.
      const prefix = right && leftType === "identifier" ? identifierPrefix(right, this.source, rightType) : undefined;
      if (prefix) this.scope.prefixedNames.set(left.text, prefix);
      const suffix = right && leftType === "identifier" ? identifierSuffix(right, this.source, rightType) : undefined;
      if (suffix) this.scope.prefixedNames.set(left.text, `*${suffix}`);
    }
    if (type) this.visit(type, "type");
    if (right) {
      const previous = this.collectingAll;
      this.collectingAll = isAll;
      this.visit(right, rightType);
      this.collectingAll = previous;
    }
  }

  private visitAugmentedAssignment(node: AnalysisNode): void {
    const left = node.childForFieldName("left");
    const right = node.childForFieldName("right");
    const isAll = this.scope.kind === "module" && !!left && typeOf(left) === "identifier" && left.text === "__all__";
    if (left) this.visit(left);
    if (right) {
      const previous = this.collectingAll;
      this.collectingAll = isAll;
      if (isAll) this.state.dunderAll ??= [];
      this.visit(right);
      this.collectingAll = previous;
    }
  }

  private visitFor(node: AnalysisNode): void {
    const comprehension = typeOf(node) === "for_in_clause";
    const left = node.childForFieldName("left");
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (left && child.id === left.id) {
        this.bind(child, comprehension ? "comprehension" : "loop", node);
      } else {
        this.visit(child);
      }
    }
  }

  private visitWithItem(node: AnalysisNode): void {
    const value = node.childForFieldName("value");
    if (value && typeOf(value) === "as_pattern") {
      const [expression] = significant(value);
      if (expression) this.visit(expression);
      const target = value.childForFieldName("alias");
      if (target) for (const inner of significant(target)) this.bind(inner, "with", node);
    } else if (value) {
      this.visit(value);
    }
  }

  private visitExcept(node: AnalysisNode): void {
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (typeOf(child) === "as_pattern") {
        const [expression] = significant(child);
        if (expression) this.visit(expression);
        const target = child.childForFieldName("alias");
        const nameNode = target ? significant(target)[0] : undefined;
        const scope = this.scope;
        if (nameNode && typeOf(nameNode) === "identifier" && scope.kind === "function") {
          scope.candidates.push({ name: nameNode.text, line: line(nameNode), endLine: line(nameNode), kind: "exception" });
        }
      } else {
        this.visit(child);
      }
    }
  }

  // ---- expressions -----------------------------------------------------------------------------

  private visitAttribute(node: AnalysisNode): void {
    // (object, [comments], attribute): the attribute name is always the last named child.
    const children = node.namedChildren;
    const attribute = children[children.length - 1];
    for (let index = 0; index < children.length - 1; index++) {
      const child = children[index];
      if (child) this.visit(child);
    }
    if (attribute && (node.id === this.attributeEndsInName?.id || typeOf(attribute) === "identifier")) {
      this.uses.attributes.add(identifierAt(this.source, attribute.startIndex));
    }
  }

  /** A dotted name used as a value (match patterns, py2 print chevrons): `a` read, the rest attributes. */
  private visitDottedValue(node: AnalysisNode): void {
    const parts = significant(node);
    parts.forEach((part, index) => {
      if (index === 0) this.read(part.text, part.startIndex);
      else this.uses.attributes.add(part.text);
    });
  }

  private visitSubscript(node: AnalysisNode): void {
    const value = node.childForFieldName("value");
    if (value) this.visit(value);
    // `globals()["_do_" + action]`: dispatch to module functions by name prefix.
    if (value && typeOf(value) === "call" && /^(globals|locals|vars)\(\s*\)$/.test(value.text)) {
      for (const key of node.childrenForFieldName("subscript")) {
        if (!key) continue;
        const keyType = typeOf(key);
        const content = keyType === "string" ? stringContent(key, this.source, keyType) : undefined;
        if (content !== undefined) this.uses.others.add(content);
        const prefix = content === undefined ? identifierPrefix(key, this.source, keyType) : undefined;
        if (prefix) this.uses.prefixes.add(prefix);
      }
    }
    // Strings inside subscripts are forward references in generics: `Optional["Node"]`.
    this.annotationDepth++;
    for (const child of node.childrenForFieldName("subscript")) if (child) this.visit(child);
    this.annotationDepth--;
  }

  private markDynamic(): void {
    const scope = this.state.functionScope();
    if (scope) scope.dynamic = true;
    else this.state.globalsLookedUp = true;
  }

  private visitCall(node: AnalysisNode): void {
    // (function, [comments], arguments): fields by position, without field lookups (hot path).
    const children = node.namedChildren;
    const callee = children[0];
    const last = children[children.length - 1];
    const lastType = children.length > 1 ? typeOfMaybe(last) : undefined;
    const argumentsNode = lastType === "argument_list" || lastType === "generator_expression" ? last : undefined;
    const calleeType = typeOfMaybe(callee);
    const calleeText = callee ? this.calleeText(callee, calleeType) : undefined;
    if (calleeText !== undefined && /^[\w.]+$/.test(calleeText)) {
      this.state.calls.push({ caller: this.scope.qualName || "<module>", callee: calleeText, line: line(node) });
      if (DYNAMIC_CALLS.has(calleeText)) this.markDynamic();
      if (GLOBAL_LOOKUPS.has(calleeText)) this.state.globalsLookedUp = true;
    }
    if (callee) this.visit(callee, calleeType);
    if (!argumentsNode) return;
    // The arguments without comments, and their types (read once: each read is a wasm call).
    const args: AnalysisNode[] = [];
    const argTypes: string[] = [];
    if (lastType === "argument_list") {
      for (const child of argumentsNode.namedChildren) {
        if (!child) continue;
        const childType = typeOf(child);
        if (childType === "comment") continue;
        args.push(child);
        argTypes.push(childType);
      }
    } else {
      args.push(argumentsNode);
      argTypes.push(lastType as string);
    }
    if ((calleeText === "getattr" || calleeText === "hasattr" || calleeText === "setattr" || calleeText === "delattr") && args[1]) {
      // `getattr(self, method_name.lower())`: the case change keeps the name's literal prefix.
      const [nameArgument, nameType] = withoutCaseChange(args[1], argTypes[1] as string);
      const content = nameType === "string" ? stringContent(nameArgument, this.source, nameType) : undefined;
      if (content !== undefined) this.uses.others.add(content);
      else if (nameType === "identifier") this.scope.attributeNameArguments.add(nameArgument.text);
      else {
        const prefix = identifierPrefix(nameArgument, this.source, nameType);
        if (prefix) this.uses.prefixes.add(prefix);
        const suffix = identifierSuffix(nameArgument, this.source, nameType);
        if (suffix) this.uses.suffixes.add(suffix);
      }
    }
    const castLike = calleeText === "cast" || calleeText === "typing.cast" || calleeText === "TypeVar" || calleeText === "typing.TypeVar";
    const extendsAll = this.scope.kind === "module" && (calleeText === "__all__.extend" || calleeText === "__all__.append");
    if (extendsAll) this.state.dunderAll ??= [];
    const previous = this.collectingAll;
    this.collectingAll = extendsAll;
    for (let index = 0; index < args.length; index++) {
      if (castLike) this.annotationDepth++;
      this.visit(args[index] as AnalysisNode, argTypes[index]);
      if (castLike) this.annotationDepth--;
    }
    this.collectingAll = previous;
  }

  /**
   * The text of a callee that is a name or an attribute, without asking wasm for its end: an
   * identifier ends where its characters do, and an attribute ends with its attribute name, its
   * last named child (`namedChildren` is kept on the node, and visitAttribute reads it anyway).
   */
  private calleeText(callee: AnalysisNode, type: string | undefined): string | undefined {
    if (type === "identifier") return identifierAt(this.source, callee.startIndex);
    if (type !== "attribute") return undefined;
    const children = callee.namedChildren;
    const attribute = children[children.length - 1];
    if (!attribute || typeOf(attribute) !== "identifier") return callee.text;
    this.attributeEndsInName = callee;
    return this.source.slice(callee.startIndex, attribute.startIndex + identifierAt(this.source, attribute.startIndex).length);
  }

  private visitString(node: AnalysisNode): void {
    // Only f-strings have interpolations; reading the prefix from the source spares walking the
    // children of every other string (docstrings are most of them).
    if (hasFormatPrefix(this.source, node.startIndex)) {
      let interpolated = false;
      for (const child of node.namedChildren) {
        if (typeOfMaybe(child) === "interpolation") {
          interpolated = true;
          this.visitChildren(child);
        }
      }
      if (interpolated) return;
    }
    const content = stringContent(node, this.source, "string");
    if (content === undefined) return;
    if (this.annotationDepth > 0) this.uses.typeExpression(content, node.startIndex);
    if (this.collectingAll && /^[A-Za-z_][A-Za-z0-9_]*$/.test(content)) this.state.dunderAll?.push(content);
    // A docstring's `>>>` examples run under doctest with the module's globals: names they use
    // keep imports and definitions alive.
    if (content.includes(">>>")) this.uses.doctest(content, node.startIndex);
    this.uses.literal(content);
  }

  private visitComment(node: AnalysisNode): void {
    TYPE_COMMENT.lastIndex = node.startIndex;
    const match = TYPE_COMMENT.exec(this.source);
    if (!match || /^ignore\b/.test(match[1] as string)) return;
    this.uses.typeExpression(match[1] as string, node.startIndex);
  }
}
