import type { Expr, Node } from "./ast.js";
import { ChatTemplateError } from "./errors.js";
import type { Token } from "./lexer.js";

/** Recursive-descent parser; operator precedence follows Jinja's (or < and < not < compare < + - < ~ < * / // % < unary < filters and postfix). */
export function parse(tokens: Token[]): Node[] {
  const parser = new Parser(tokens);
  const body = parser.parseBody([]);
  if (!parser.done()) parser.fail("unexpected block tag");
  return body;
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  done(): boolean {
    return this.position >= this.tokens.length;
  }

  fail(message: string): never {
    const token = this.tokens[this.position];
    const near = token ? ` near ${JSON.stringify("value" in token ? token.value : token.type)}` : " at the end";
    throw new ChatTemplateError(`chat template: ${message}${near}`);
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  private isOp(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.type === "op" && token.value === value;
  }

  private isName(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.type === "name" && token.value === value;
  }

  private expectOp(value: string): void {
    if (!this.isOp(value)) this.fail(`expected "${value}"`);
    this.position++;
  }

  private expectName(value?: string): string {
    const token = this.peek();
    if (token?.type !== "name" || (value !== undefined && token.value !== value)) this.fail(`expected ${value ?? "a name"}`);
    this.position++;
    return token.value;
  }

  private expectClose(tag: "output" | "block"): void {
    const token = this.peek();
    if (token?.type !== "close" || token.tag !== tag) this.fail(`expected ${tag === "block" ? "%}" : "}}"}`);
    this.position++;
  }

  /** Parses nodes until a block tag whose keyword is in `stops` (left unconsumed, after "{%"). */
  parseBody(stops: string[]): Node[] {
    const nodes: Node[] = [];
    while (!this.done()) {
      const token = this.peek()!;
      if (token.type === "text") {
        nodes.push({ kind: "text", value: token.value });
        this.position++;
      } else if (token.type === "open" && token.tag === "output") {
        this.position++;
        nodes.push({ kind: "output", value: this.parseExpression() });
        this.expectClose("output");
      } else if (token.type === "open" && token.tag === "block") {
        const keyword = this.peek(1);
        if (keyword?.type === "name" && stops.includes(keyword.value)) return nodes;
        this.position++;
        nodes.push(this.parseStatement());
      } else {
        this.fail("unexpected token");
      }
    }
    if (stops.length > 0) this.fail(`missing {% ${stops[stops.length - 1]} %}`);
    return nodes;
  }

  /** Consumes "{% keyword" of a stop tag and returns the keyword. */
  private enterTag(): string {
    this.position++; // open
    return this.expectName();
  }

  private parseStatement(): Node {
    const keyword = this.expectName();
    switch (keyword) {
      case "if":
        return this.parseIf();
      case "for":
        return this.parseFor();
      case "set":
        return this.parseSet();
      case "macro":
        return this.parseMacro();
      default:
        return this.fail(`unsupported statement "${keyword}"`);
    }
  }

  private parseIf(): Node {
    const branches: Array<{ test: Expr; body: Node[] }> = [];
    let test = this.parseExpression();
    this.expectClose("block");
    let otherwise: Node[] = [];
    for (;;) {
      const body = this.parseBody(["elif", "else", "endif"]);
      branches.push({ test, body });
      const keyword = this.enterTag();
      if (keyword === "elif") {
        test = this.parseExpression();
        this.expectClose("block");
        continue;
      }
      this.expectClose("block");
      if (keyword === "else") {
        otherwise = this.parseBody(["endif"]);
        this.enterTag();
        this.expectClose("block");
      }
      return { kind: "if", branches, otherwise };
    }
  }

  private parseFor(): Node {
    const targets = [this.expectName()];
    while (this.isOp(",")) {
      this.position++;
      targets.push(this.expectName());
    }
    this.expectName("in");
    const iterable = this.parseConditionalFree();
    let condition: Expr | null = null;
    if (this.isName("if")) {
      this.position++;
      condition = this.parseConditionalFree();
    }
    this.expectClose("block");
    const body = this.parseBody(["else", "endfor"]);
    let otherwise: Node[] = [];
    if (this.enterTag() === "else") {
      this.expectClose("block");
      otherwise = this.parseBody(["endfor"]);
      this.enterTag();
    }
    this.expectClose("block");
    return { kind: "for", targets, iterable, condition, body, otherwise };
  }

  private parseSet(): Node {
    const target = this.expectName();
    let attribute: string | null = null;
    if (this.isOp(".")) {
      this.position++;
      attribute = this.expectName();
    }
    this.expectOp("=");
    const value = this.parseExpression();
    this.expectClose("block");
    return { kind: "set", target, attribute, value };
  }

  private parseMacro(): Node {
    const name = this.expectName();
    this.expectOp("(");
    const params: Array<[string, Expr | null]> = [];
    while (!this.isOp(")")) {
      const param = this.expectName();
      let fallback: Expr | null = null;
      if (this.isOp("=")) {
        this.position++;
        fallback = this.parseExpression();
      }
      params.push([param, fallback]);
      if (!this.isOp(",")) break;
      this.position++;
    }
    this.expectOp(")");
    this.expectClose("block");
    const body = this.parseBody(["endmacro"]);
    this.enterTag();
    this.expectClose("block");
    return { kind: "macro", name, params, body };
  }

  parseExpression(): Expr {
    const value = this.parseConditionalFree();
    if (!this.isName("if")) return value;
    this.position++;
    const test = this.parseOr();
    let otherwise: Expr | null = null;
    if (this.isName("else")) {
      this.position++;
      otherwise = this.parseExpression();
    }
    return { kind: "conditional", test, then: value, otherwise };
  }

  /** An expression without a trailing `if ... else ...` (for-loop iterables and filters). */
  private parseConditionalFree(): Expr {
    return this.parseOr();
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName("or")) {
      this.position++;
      left = { kind: "binary", op: "or", left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName("and")) {
      this.position++;
      left = { kind: "binary", op: "and", left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isName("not")) {
      this.position++;
      return { kind: "unary", op: "not", value: this.parseNot() };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    let left = this.parseMath1();
    for (;;) {
      const token = this.peek();
      if (token?.type === "op" && ["==", "!=", "<", ">", "<=", ">="].includes(token.value)) {
        this.position++;
        left = { kind: "binary", op: token.value, left, right: this.parseMath1() };
      } else if (this.isName("in")) {
        this.position++;
        left = { kind: "binary", op: "in", left, right: this.parseMath1() };
      } else if (this.isName("not") && this.isName("in", 1)) {
        this.position += 2;
        left = { kind: "unary", op: "not", value: { kind: "binary", op: "in", left, right: this.parseMath1() } };
      } else if (this.isName("is")) {
        this.position++;
        const negated = this.isName("not");
        if (negated) this.position++;
        const name = this.expectName();
        const args: Expr[] = [];
        if (this.isOp("(")) args.push(...this.parseArguments().args);
        else if (this.peek()?.type === "number" || this.peek()?.type === "string") args.push(this.parsePrimary());
        left = { kind: "test", value: left, name, negated, args };
      } else {
        return left;
      }
    }
  }

  private parseMath1(): Expr {
    let left = this.parseConcat();
    while (this.isOp("+") || this.isOp("-")) {
      const op = (this.peek() as { value: string }).value;
      this.position++;
      left = { kind: "binary", op, left, right: this.parseConcat() };
    }
    return left;
  }

  private parseConcat(): Expr {
    let left = this.parseMath2();
    while (this.isOp("~")) {
      this.position++;
      left = { kind: "binary", op: "~", left, right: this.parseMath2() };
    }
    return left;
  }

  private parseMath2(): Expr {
    let left = this.parseUnary();
    while (this.isOp("*") || this.isOp("/") || this.isOp("//") || this.isOp("%")) {
      const op = (this.peek() as { value: string }).value;
      this.position++;
      left = { kind: "binary", op, left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.isOp("-") || this.isOp("+")) {
      const op = (this.peek() as { value: string }).value as "-" | "+";
      this.position++;
      return { kind: "unary", op, value: this.parseUnary() };
    }
    return this.parseFilters(this.parsePostfix(this.parsePrimary()));
  }

  private parseFilters(value: Expr): Expr {
    let result = value;
    while (this.isOp("|")) {
      this.position++;
      const name = this.expectName();
      const { args, kwargs } = this.isOp("(") ? this.parseArguments() : { args: [], kwargs: [] };
      result = { kind: "filter", value: result, name, args, kwargs };
    }
    return result;
  }

  private parsePostfix(value: Expr): Expr {
    let result = value;
    for (;;) {
      if (this.isOp(".")) {
        this.position++;
        result = { kind: "attribute", object: result, name: this.expectName() };
      } else if (this.isOp("[")) {
        this.position++;
        result = this.parseSubscript(result);
      } else if (this.isOp("(")) {
        const { args, kwargs } = this.parseArguments();
        result = { kind: "call", callee: result, args, kwargs };
      } else {
        return result;
      }
    }
  }

  private parseSubscript(object: Expr): Expr {
    const part = (): Expr | null => (this.isOp(":") || this.isOp("]") ? null : this.parseExpression());
    const start = part();
    if (this.isOp("]")) {
      this.position++;
      if (!start) this.fail("empty subscript");
      return { kind: "index", object, index: start };
    }
    this.expectOp(":");
    const stop = part();
    let step: Expr | null = null;
    if (this.isOp(":")) {
      this.position++;
      step = part();
    }
    this.expectOp("]");
    return { kind: "slice", object, start, stop, step };
  }

  private parseArguments(): { args: Expr[]; kwargs: Array<[string, Expr]> } {
    this.expectOp("(");
    const args: Expr[] = [];
    const kwargs: Array<[string, Expr]> = [];
    while (!this.isOp(")")) {
      if (this.peek()?.type === "name" && this.isOp("=", 1)) {
        const name = this.expectName();
        this.position++;
        kwargs.push([name, this.parseExpression()]);
      } else {
        args.push(this.parseExpression());
      }
      if (!this.isOp(",")) break;
      this.position++;
    }
    this.expectOp(")");
    return { args, kwargs };
  }

  private parsePrimary(): Expr {
    const token = this.peek();
    if (!token) return this.fail("expected an expression");
    this.position++;
    switch (token.type) {
      case "string": {
        let value = token.value;
        while (this.peek()?.type === "string") value += (this.tokens[this.position++] as { value: string }).value;
        return { kind: "literal", value };
      }
      case "number":
        return { kind: "literal", value: token.value };
      case "name":
        if (token.value === "true" || token.value === "True") return { kind: "literal", value: true };
        if (token.value === "false" || token.value === "False") return { kind: "literal", value: false };
        if (token.value === "none" || token.value === "None") return { kind: "literal", value: null };
        return { kind: "name", name: token.value };
      case "op":
        if (token.value === "(") {
          const inner = this.parseExpression();
          this.expectOp(")");
          return inner;
        }
        if (token.value === "[") {
          const items: Expr[] = [];
          while (!this.isOp("]")) {
            items.push(this.parseExpression());
            if (!this.isOp(",")) break;
            this.position++;
          }
          this.expectOp("]");
          return { kind: "list", items };
        }
        if (token.value === "{") {
          const entries: Array<[Expr, Expr]> = [];
          while (!this.isOp("}")) {
            const key = this.parseExpression();
            this.expectOp(":");
            entries.push([key, this.parseExpression()]);
            if (!this.isOp(",")) break;
            this.position++;
          }
          this.expectOp("}");
          return { kind: "dict", entries };
        }
        break;
      default:
        break;
    }
    this.position--;
    return this.fail("expected an expression");
  }
}
