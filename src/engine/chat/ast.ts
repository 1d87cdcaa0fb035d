/** Syntax tree of the Jinja subset. */
export type Expr =
  | { kind: "literal"; value: unknown }
  | { kind: "name"; name: string }
  | { kind: "attribute"; object: Expr; name: string }
  | { kind: "index"; object: Expr; index: Expr }
  | { kind: "slice"; object: Expr; start: Expr | null; stop: Expr | null; step: Expr | null }
  | { kind: "call"; callee: Expr; args: Expr[]; kwargs: Array<[string, Expr]> }
  | { kind: "filter"; value: Expr; name: string; args: Expr[]; kwargs: Array<[string, Expr]> }
  | { kind: "test"; value: Expr; name: string; negated: boolean; args: Expr[] }
  | { kind: "unary"; op: "not" | "-" | "+"; value: Expr }
  | { kind: "binary"; op: string; left: Expr; right: Expr }
  | { kind: "conditional"; test: Expr; then: Expr; otherwise: Expr | null }
  | { kind: "list"; items: Expr[] }
  | { kind: "dict"; entries: Array<[Expr, Expr]> };

export type Node =
  | { kind: "text"; value: string }
  | { kind: "output"; value: Expr }
  | { kind: "if"; branches: Array<{ test: Expr; body: Node[] }>; otherwise: Node[] }
  | { kind: "for"; targets: string[]; iterable: Expr; condition: Expr | null; body: Node[]; otherwise: Node[] }
  | { kind: "set"; target: string; attribute: string | null; value: Expr }
  | { kind: "macro"; name: string; params: Array<[string, Expr | null]>; body: Node[] };
