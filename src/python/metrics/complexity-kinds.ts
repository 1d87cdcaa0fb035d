import type { LanguageInfo } from "../parse/language-info.js";
import { PyAgentError } from "../../core/errors.js";

/**
 * Which tree-sitter-python nodes radon's `max_line` sees. radon walks Python's `ast`; its
 * `ComplexityVisitor.generic_visit` records the `lineno` of every node it visits, except that it
 * never enters asserts, nested defs or classes. So each tree-sitter type is mapped onto its
 * `ast` counterpart: nodes with no `ast` counterpart (`block`, `else_clause`, `argument_list`,
 * string pieces, the name after `.` in an attribute, ...) must not be recorded, because a clause
 * holding only an `assert` or a nested `def` leaves radon's `max_line` untouched.
 */
export const Kind = {
  /** Anonymous token (`(`, `if`, `*`): ignored. */
  Token: 0,
  /** An `ast` node with a lineno: recorded, children walked. */
  Record: 1,
  /** No `ast` node of its own (block, clause, argument list): children walked only. */
  Pass: 2,
  /** Neither recorded nor walked (comments, string pieces, decorators). */
  Ignore: 3,
  /** An `ast` node whose tree-sitter children are not `ast` nodes: recorded, not walked. */
  Leaf: 4,
  /** assert, def, class, decorated def: radon's visitor never records or enters them. */
  Unseen: 5,
  /** attribute: recorded; its `attribute` field is a plain string in `ast`. */
  Attribute: 6,
  /** import_from_statement: recorded; its `module_name` field is a plain string in `ast`. */
  ImportFrom: 7,
  /** as_pattern: recorded; the alias is a string in except/case, a real target under with_item. */
  AsPattern: 8,
  /** with_item: walked; marks its as_pattern alias as a real target. */
  WithItem: 9,
  /** concatenated_string: one `ast` node; inner strings only contribute f-string expressions. */
  ConcatenatedString: 10,
  /** string: recorded; only interpolations below it hold `ast` nodes. */
  String: 11,
} as const;

export interface KindTables {
  /** Kind by node type id. */
  kind: Uint8Array;
  fieldAttribute: number;
  fieldModuleName: number;
  fieldAlias: number;
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

  for_in_clause: Kind.Pass,
  if_clause: Kind.Pass,
  case_clause: Kind.Pass,
  assert_statement: Kind.Unseen,
  function_definition: Kind.Unseen,
  class_definition: Kind.Unseen,
  decorated_definition: Kind.Unseen,
  attribute: Kind.Attribute,
  import_from_statement: Kind.ImportFrom,
  as_pattern: Kind.AsPattern,
  with_item: Kind.WithItem,
  concatenated_string: Kind.ConcatenatedString,
  string: Kind.String,
};

const cache = new WeakMap<LanguageInfo, KindTables>();

/** The loaded tree-sitter-python grammar lacks a field the complexity tables rely on. */
export class GrammarMismatchError extends PyAgentError {
  override readonly name = "GrammarMismatchError";
}

function requireId(id: number | null, what: string): number {
  if (id === null)
    throw new GrammarMismatchError(
      `tree-sitter-python grammar has no ${what}; update src/python/metrics/complexity-kinds.ts for this grammar version`,
      { missing: what },
    );
  return id;
}

/** Builds (once per Language) the kind table; every named type not listed is a plain `ast` node (Record). */
export function kindTables(language: LanguageInfo): KindTables {
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

const roleCache = new WeakMap<LanguageInfo, Uint8Array>();

/** Role by node type id (aliases of a type share its role). */
export function roleTable(language: LanguageInfo): Uint8Array {
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
