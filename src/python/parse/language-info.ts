/**
 * What the analyzers read about the grammar: node type names and fields by id. web-tree-sitter's
 * Language has this shape, and so does the native parser's grammar (native-parser.ts); both number
 * the same tree-sitter-python grammar alike.
 */
export interface LanguageInfo {
  /** Name by node type id; undefined for the grammar's hidden symbols. */
  readonly types: ReadonlyArray<string | undefined>;
  /** Name by field id; fields[0] is null. */
  readonly fields: ReadonlyArray<string | null>;
  readonly nodeTypeCount: number;
  nodeTypeIsNamed(typeId: number): boolean;
  nodeTypeForId(typeId: number): string | null;
  fieldIdForName(fieldName: string): number | null;
}
