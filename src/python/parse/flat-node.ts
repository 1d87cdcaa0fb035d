import type { FlatTree } from "./flat-tree.js";
import type { LanguageInfo } from "./language-info.js";

/**
 * The part of web-tree-sitter's Node API the analyzers use. Both a wasm Node and a FlatNode (a
 * node of a FlatTree, read from typed arrays) satisfy it, so the metrics and findings run on
 * either: the CLI analyzes flat trees, and the answers must be the same on both (tested).
 */
export interface AnalysisNode {
  readonly id: number;
  readonly tree: { readonly language: LanguageInfo };
  readonly typeId: number;
  readonly type: string;
  readonly isNamed: boolean;
  readonly isExtra: boolean;
  readonly isMissing: boolean;
  readonly isError: boolean;
  readonly hasError: boolean;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly startPosition: { row: number; column: number };
  readonly endPosition: { row: number; column: number };
  readonly text: string;
  readonly parent: AnalysisNode | null;
  readonly childCount: number;
  readonly namedChildCount: number;
  readonly children: AnalysisNode[];
  readonly namedChildren: AnalysisNode[];
  child(index: number): AnalysisNode | null;
  namedChild(index: number): AnalysisNode | null;
  childForFieldName(fieldName: string): AnalysisNode | null;
  childrenForFieldName(fieldName: string): AnalysisNode[];
  fieldNameForChild(index: number): string | null;
  descendantsOfType(types: string | string[]): AnalysisNode[];
  walk(): AnalysisCursor;
}

/** The part of web-tree-sitter's TreeCursor API the analyzers use. */
export interface AnalysisCursor {
  readonly nodeTypeId: number;
  readonly currentFieldId: number;
  readonly startPosition: { row: number; column: number };
  reset(node: AnalysisNode): void;
  gotoFirstChild(): boolean;
  gotoLastChild(): boolean;
  gotoNextSibling(): boolean;
  gotoPreviousSibling(): boolean;
  gotoParent(): boolean;
  delete(): void;
}

/**
 * A node of a FlatTree: an index and the tree, every property an array read. Like web-tree-sitter's
 * nodes, two reads of one node give two objects with the same `id`.
 */
export class FlatNode implements AnalysisNode {
  /** Cache of `namedChildren`, under web-tree-sitter's name so callers that drop it keep working. */
  _namedChildren: FlatNode[] | undefined = undefined;

  constructor(
    readonly tree: FlatTree,
    /** The pre-order index; unique within the tree, like web-tree-sitter's id. */
    readonly id: number,
  ) {}

  get typeId(): number {
    return this.tree.typeIds[this.id];
  }

  get type(): string {
    return this.tree.tables.typeNames[this.tree.typeIds[this.id]];
  }

  get isNamed(): boolean {
    return this.tree.tables.named[this.tree.typeIds[this.id]] === 1;
  }

  get isExtra(): boolean {
    return this.tree.tables.extra[this.tree.typeIds[this.id]] === 1;
  }

  /** Flat trees are only made of trees without errors. */
  get isMissing(): boolean {
    return false;
  }

  get isError(): boolean {
    return false;
  }

  get hasError(): boolean {
    return false;
  }

  get startIndex(): number {
    return this.tree.starts[this.id];
  }

  get endIndex(): number {
    return this.tree.ends[this.id];
  }

  get startPosition(): { row: number; column: number } {
    return new FlatPoint(this.tree, this.tree.startRows[this.id], this.tree.starts[this.id]);
  }

  get endPosition(): { row: number; column: number } {
    const end = this.tree.ends[this.id];
    return new FlatPoint(this.tree, this.tree.rowOf(end), end);
  }

  get text(): string {
    return this.tree.source.slice(this.tree.starts[this.id], this.tree.ends[this.id]);
  }

  get parent(): FlatNode | null {
    const parent = this.tree.parents[this.id];
    return parent < 0 ? null : this.tree.node(parent);
  }

  get childCount(): number {
    let count = 0;
    for (let child = this.firstChildIndex(); child >= 0; child = this.tree.nextSiblings[child]) count++;
    return count;
  }

  get namedChildCount(): number {
    return this.namedChildren.length;
  }

  get children(): FlatNode[] {
    const result: FlatNode[] = [];
    for (let child = this.firstChildIndex(); child >= 0; child = this.tree.nextSiblings[child]) result.push(this.tree.node(child));
    return result;
  }

  get namedChildren(): FlatNode[] {
    if (this._namedChildren !== undefined) return this._namedChildren;
    const { named } = this.tree.tables;
    const typeIds = this.tree.typeIds;
    const result: FlatNode[] = [];
    for (let child = this.firstChildIndex(); child >= 0; child = this.tree.nextSiblings[child]) {
      if (named[typeIds[child]] === 1) result.push(this.tree.node(child));
    }
    this._namedChildren = result;
    return result;
  }

  child(index: number): FlatNode | null {
    let child = this.firstChildIndex();
    for (let skipped = 0; child >= 0 && skipped < index; skipped++) child = this.tree.nextSiblings[child];
    return index >= 0 && child >= 0 ? this.tree.node(child) : null;
  }

  namedChild(index: number): FlatNode | null {
    return this.namedChildren[index] ?? null;
  }

  /** The first direct child in the field. (web-tree-sitter also finds a match statement's
   * `alternative` inside its block, through an aliased hidden rule; nothing here asks for it.) */
  childForFieldName(fieldName: string): FlatNode | null {
    const fieldId = this.tree.tables.fieldIdsByName.get(fieldName);
    if (fieldId === undefined) return null;
    const fieldIds = this.tree.fieldIds;
    for (let child = this.firstChildIndex(); child >= 0; child = this.tree.nextSiblings[child]) {
      if (fieldIds[child] === fieldId) return this.tree.node(child);
    }
    return null;
  }

  childrenForFieldName(fieldName: string): FlatNode[] {
    const fieldId = this.tree.tables.fieldIdsByName.get(fieldName);
    const result: FlatNode[] = [];
    if (fieldId === undefined) return result;
    const fieldIds = this.tree.fieldIds;
    for (let child = this.firstChildIndex(); child >= 0; child = this.tree.nextSiblings[child]) {
      if (fieldIds[child] === fieldId) result.push(this.tree.node(child));
    }
    return result;
  }

  fieldNameForChild(index: number): string | null {
    const child = this.child(index);
    if (child === null) return null;
    const fieldId = this.tree.fieldIds[child.id];
    return fieldId === 0 ? null : (this.tree.tables.fieldNames[fieldId] ?? null);
  }

  /** Descendants (not the node itself) whose type is one of `types`, in document order. */
  descendantsOfType(types: string | string[]): FlatNode[] {
    const wanted = new Set(typeof types === "string" ? [types] : types);
    const { typeNames } = this.tree.tables;
    const matches = new Uint8Array(typeNames.length);
    for (let id = 0; id < typeNames.length; id++) if (wanted.has(typeNames[id])) matches[id] = 1;
    const result: FlatNode[] = [];
    const typeIds = this.tree.typeIds;
    const end = this.tree.subtreeEnds[this.id];
    for (let index = this.id + 1; index < end; index++) if (matches[typeIds[index]] === 1) result.push(this.tree.node(index));
    return result;
  }

  walk(): FlatCursor {
    return new FlatCursor(this.tree, this.id);
  }

  private firstChildIndex(): number {
    return this.tree.subtreeEnds[this.id] > this.id + 1 ? this.id + 1 : -1;
  }
}

/** A position; the column (rarely read: the analyzers count lines) is worked out on demand. */
class FlatPoint {
  constructor(
    private readonly tree: FlatTree,
    readonly row: number,
    private readonly offset: number,
  ) {}

  get column(): number {
    return this.tree.columnOf(this.offset, this.row);
  }
}

/** A TreeCursor over a FlatTree: an index that never leaves the subtree it was made or reset on. */
export class FlatCursor implements AnalysisCursor {
  constructor(
    private readonly tree: FlatTree,
    private root: number,
    private current = root,
  ) {}

  get nodeTypeId(): number {
    return this.tree.typeIds[this.current];
  }

  get currentFieldId(): number {
    return this.current === this.root ? 0 : this.tree.fieldIds[this.current];
  }

  get startPosition(): { row: number; column: number } {
    return new FlatPoint(this.tree, this.tree.startRows[this.current], this.tree.starts[this.current]);
  }

  reset(node: AnalysisNode): void {
    this.root = node.id;
    this.current = node.id;
  }

  gotoFirstChild(): boolean {
    if (this.tree.subtreeEnds[this.current] <= this.current + 1) return false;
    this.current++;
    return true;
  }

  gotoLastChild(): boolean {
    const last = this.tree.lastChildren[this.current];
    if (last < 0) return false;
    this.current = last;
    return true;
  }

  gotoNextSibling(): boolean {
    const next = this.current === this.root ? -1 : this.tree.nextSiblings[this.current];
    if (next < 0) return false;
    this.current = next;
    return true;
  }

  gotoPreviousSibling(): boolean {
    const previous = this.current === this.root ? -1 : this.tree.previousSiblings[this.current];
    if (previous < 0) return false;
    this.current = previous;
    return true;
  }

  gotoParent(): boolean {
    if (this.current === this.root) return false;
    this.current = this.tree.parents[this.current];
    return true;
  }

  delete(): void {}
}
