import type { Language } from "web-tree-sitter";

/**
 * How the complexity walk treats each tree-sitter-python node type. radon walks Python's `ast`, so
 * every tree-sitter type is mapped onto what its `ast` counterpart does in radon 5.1.0's
 * `ComplexityVisitor`:
 *  - whether it adds decision points (If/IfExp/BoolOp/For/While/Try/comprehension/Assert);
 *  - whether it is an `ast` node with a `lineno` that radon's `max_line` sees ("record"). Nodes
 *    that have no `ast` counterpart (`block`, `else_clause`, `argument_list`, string pieces, the
 *    name after `.` in an attribute, ...) must not be recorded: a clause holding only an `assert`
 *    or a nested `def` leaves radon's `max_line` untouched, so recording it would move `endline`.
 */
export const Kind = {
  /** Anonymous token (`(`, `if`, `*`): ignored. */
  Token: 0,
  /** An `ast` node with a lineno: record its line, walk its children. */
  Record: 1,
  /** No `ast` node of its own (block, clause, argument list): walk its children only. */
  Pass: 2,
  /** Neither counted nor walked (comments, string pieces, decorators seen from outside). */
  Ignore: 3,
  /** An `ast` node whose tree-sitter children are not `ast` nodes: record, do not walk. */
  Leaf: 4,
  /** if_statement, elif_clause, conditional_expression, boolean_operator: +1, record, walk. */
  Branch: 5,
  /** for_statement, while_statement: +1, +1 more with an `else`, record, walk. */
  Loop: 6,
  /** for_in_clause: +1 (a comprehension), no lineno of its own. */
  ComprehensionFor: 7,
  /** if_clause: +1 inside a comprehension; a match guard (handled by CaseClause) adds nothing. */
  ComprehensionIf: 8,
  /** try_statement: +handlers +1 with `else`, unless it is `except*` (radon ignores TryStar). */
  Try: 9,
  /** assert_statement: +1, children never visited, line never recorded (radon's visit_Assert). */
  Assert: 10,
  /** attribute: record, walk all but the `attribute` field (a plain string in `ast`). */
  Attribute: 11,
  /** import_from_statement: record, skip the `module_name` field (a plain string in `ast`). */
  ImportFrom: 12,
  /** as_pattern: record, skip the alias (a string in except/case), except under with_item. */
  AsPattern: 13,
  /** with_item: walk; its as_pattern alias is a real target expression. */
  WithItem: 14,
  /** concatenated_string: one `ast` Constant/JoinedStr; inner strings only contribute f-string expressions. */
  ConcatenatedString: 15,
  /** case_clause: walk patterns and body; the guard's if_clause adds nothing. */
  CaseClause: 16,
  function_definition: 17,
  class_definition: 18,
  decorated_definition: 19,
  /** string: record, walk (only interpolations below it hold `ast` nodes). */
  String: 20,
} as const;

export interface KindTables {
  /** Kind by node type id. */
  kind: Uint8Array;
  fieldAttribute: number;
  fieldModuleName: number;
  fieldAlias: number;
  fieldName: number;
  fieldBody: number;
  fieldDefinition: number;
  typeElseClause: number;
  typeExceptClause: number;
  typeBlock: number;
}

const BY_NAME: Record<string, number> = {
  comment: Kind.Ignore,
  line_continuation: Kind.Ignore,
  string_start: Kind.Ignore,
  string_content: Kind.Ignore,
  string_end: Kind.Ignore,
  escape_sequence: Kind.Ignore,
  escape_interpolation: Kind.Ignore,
  type_conversion: Kind.Ignore,
  decorator: Kind.Ignore,
  relative_import: Kind.Ignore,
  import_prefix: Kind.Ignore,

  block: Kind.Pass,
  else_clause: Kind.Pass,
  finally_clause: Kind.Pass,
  with_clause: Kind.Pass,
  argument_list: Kind.Pass,
  parenthesized_expression: Kind.Pass,
  pair: Kind.Pass,
  lambda_parameters: Kind.Pass,
  parameters: Kind.Pass,
  keyword_separator: Kind.Pass,
  positional_separator: Kind.Pass,
  interpolation: Kind.Pass,
  format_expression: Kind.Pass,
  format_specifier: Kind.Pass,
  as_pattern_target: Kind.Pass,
  keyword_pattern: Kind.Pass,

  identifier: Kind.Leaf,
  dotted_name: Kind.Leaf,
  aliased_import: Kind.Leaf,
  wildcard_import: Kind.Leaf,
  global_statement: Kind.Leaf,
  nonlocal_statement: Kind.Leaf,
  integer: Kind.Leaf,
  float: Kind.Leaf,
  true: Kind.Leaf,
  false: Kind.Leaf,
  none: Kind.Leaf,
  ellipsis: Kind.Leaf,

  if_statement: Kind.Branch,
  elif_clause: Kind.Branch,
  conditional_expression: Kind.Branch,
  boolean_operator: Kind.Branch,
  for_statement: Kind.Loop,
  while_statement: Kind.Loop,
  for_in_clause: Kind.ComprehensionFor,
  if_clause: Kind.ComprehensionIf,
  try_statement: Kind.Try,
  assert_statement: Kind.Assert,
  attribute: Kind.Attribute,
  import_from_statement: Kind.ImportFrom,
  as_pattern: Kind.AsPattern,
  with_item: Kind.WithItem,
  concatenated_string: Kind.ConcatenatedString,
  case_clause: Kind.CaseClause,
  function_definition: Kind.function_definition,
  class_definition: Kind.class_definition,
  decorated_definition: Kind.decorated_definition,
  string: Kind.String,
};

const cache = new WeakMap<Language, KindTables>();

function requireId(id: number | null, what: string): number {
  if (id === null) throw new Error(`tree-sitter-python grammar has no ${what}; the complexity tables need updating`);
  return id;
}

/** Builds (once per Language) the kind table; every named type not listed is a plain `ast` node (Record). */
export function kindTables(language: Language): KindTables {
  const cached = cache.get(language);
  if (cached) return cached;
  const count = language.nodeTypeCount;
  const kind = new Uint8Array(count);
  for (let id = 0; id < count; id++) {
    if (!language.nodeTypeIsNamed(id)) continue;
    const name = language.nodeTypeForId(id) ?? "";
    kind[id] = BY_NAME[name] ?? Kind.Record;
  }
  const tables: KindTables = {
    kind,
    fieldAttribute: requireId(language.fieldIdForName("attribute"), "field attribute"),
    fieldModuleName: requireId(language.fieldIdForName("module_name"), "field module_name"),
    fieldAlias: requireId(language.fieldIdForName("alias"), "field alias"),
    fieldName: requireId(language.fieldIdForName("name"), "field name"),
    fieldBody: requireId(language.fieldIdForName("body"), "field body"),
    fieldDefinition: requireId(language.fieldIdForName("definition"), "field definition"),
    typeElseClause: requireId(language.idForNodeType("else_clause", true), "else_clause"),
    typeExceptClause: requireId(language.idForNodeType("except_clause", true), "except_clause"),
    typeBlock: requireId(language.idForNodeType("block", true), "block"),
  };
  cache.set(language, tables);
  return tables;
}

/**
 * What a node found by the one `descendantsOfType` scan means to the complexity count. Every
 * other type is not fetched at all.
 */
export const Role = {
  None: 0,
  /** if, elif, conditional expression, and/or operator, for/while, comprehension for: +1. */
  PlusOne: 1,
  /** +1 in a comprehension, nothing as a match guard. */
  IfClause: 2,
  /** +1 after for/while and after a plain try (not `except*`); nothing after if. */
  ElseClause: 3,
  /** +1 per handler of a plain try; `except*` makes radon's TryStar, worth nothing. */
  ExceptClause: 4,
  /** +1, and nothing inside it is visited. */
  Assert: 5,
  /** Never visited by radon. */
  Decorator: 6,
  FunctionDefinition: 7,
  ClassDefinition: 8,
} as const;

const ROLE_BY_NAME: Record<string, number> = {
  if_statement: Role.PlusOne,
  elif_clause: Role.PlusOne,
  conditional_expression: Role.PlusOne,
  boolean_operator: Role.PlusOne,
  for_statement: Role.PlusOne,
  while_statement: Role.PlusOne,
  for_in_clause: Role.PlusOne,
  if_clause: Role.IfClause,
  else_clause: Role.ElseClause,
  except_clause: Role.ExceptClause,
  assert_statement: Role.Assert,
  decorator: Role.Decorator,
  function_definition: Role.FunctionDefinition,
  class_definition: Role.ClassDefinition,
};

/** The node types the complexity scan fetches, in one native walk. */
export const ROLE_TYPES: readonly string[] = Object.keys(ROLE_BY_NAME);

const roleCache = new WeakMap<Language, Uint8Array>();

/** Role by node type id (aliases of a type share its role). */
export function roleTable(language: Language): Uint8Array {
  const cached = roleCache.get(language);
  if (cached) return cached;
  const count = language.nodeTypeCount;
  const role = new Uint8Array(count);
  for (let id = 0; id < count; id++) {
    if (language.nodeTypeIsNamed(id)) role[id] = ROLE_BY_NAME[language.nodeTypeForId(id) ?? ""] ?? Role.None;
  }
  roleCache.set(language, role);
  return role;
}
