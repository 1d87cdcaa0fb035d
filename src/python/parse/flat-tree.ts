import { FlatNode } from "./flat-node.js";
import type { LanguageInfo } from "./language-info.js";

/**
 * A parsed tree copied out of wasm into typed arrays by ONE cursor walk, so that the analyzers
 * (complexity, Halstead, findings) read it with plain array loads instead of a wasm call and a
 * fresh Node object per property read. Every visible node of the tree sitter tree (named and
 * anonymous, as TreeCursor visits them) has one index, in pre-order (document order, a parent
 * before its children); index 0 is the root. Layout, one entry per node:
 *
 *   typeIds[i]    node type id (web-tree-sitter's `typeId`)
 *   fieldIds[i]   field id of the node in its parent, 0 for none
 *   starts[i]     start offset, UTF-16 code units (web-tree-sitter's `startIndex` for a string input)
 *   ends[i]       end offset, exclusive
 *   startRows[i]  0-based row of the start
 *   parents[i]    parent index, -1 for the root
 *   nextSiblings[i], previousSiblings[i], lastChildren[i]   indices, -1 for none
 *   subtreeEnds[i]  one past the node's last descendant: descendants are i+1 .. subtreeEnds[i]-1,
 *                   and the first child, if any, is i+1
 *
 * Only trees without errors are flattened (the analyzers never see ERROR or MISSING nodes).
 * The copy does not reference wasm memory: the Tree may be deleted once it is made.
 */
export class FlatTree {
  readonly typeIds: Uint16Array;
  readonly fieldIds: Uint16Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly startRows: Int32Array;
  readonly parents: Int32Array;
  readonly nextSiblings: Int32Array;
  readonly previousSiblings: Int32Array;
  readonly lastChildren: Int32Array;
  readonly subtreeEnds: Int32Array;
  /** Offsets of the first character of each line (after each '\n'), for end rows. */
  private lineStartsCache: Int32Array | undefined;
  readonly tables: LanguageTables;

  constructor(
    readonly language: LanguageInfo,
    readonly source: string,
    readonly count: number,
    arrays: FlatArrays,
  ) {
    this.typeIds = arrays.typeIds;
    this.fieldIds = arrays.fieldIds;
    this.starts = arrays.starts;
    this.ends = arrays.ends;
    this.startRows = arrays.startRows;
    this.parents = arrays.parents;
    this.nextSiblings = arrays.nextSiblings;
    this.previousSiblings = arrays.previousSiblings;
    this.lastChildren = arrays.lastChildren;
    this.subtreeEnds = arrays.subtreeEnds;
    this.tables = languageTables(language);
  }

  /**
   * What another thread needs to rebuild this tree with `FlatTree.fromTransfer` (with its own
   * Language object): the one buffer behind every array (transfer it, no copy) and the counts.
   */
  transferable(): FlatTreeTransfer {
    return { source: this.source, count: this.count, capacity: this.typeIds.length, buffer: this.typeIds.buffer as ArrayBuffer };
  }

  static fromTransfer(language: LanguageInfo, transfer: FlatTreeTransfer): FlatTree {
    return new FlatTree(language, transfer.source, transfer.count, views(transfer.buffer, transfer.capacity));
  }

  get rootNode(): FlatNode {
    return this.node(0);
  }

  /**
   * A node object for index `index`: a new one each time, as web-tree-sitter makes a new Node per
   * read (compare nodes by `id`). Short-lived objects cost the garbage collector less than
   * keeping one per node for the whole analysis (measured: facts walk ~15% faster).
   */
  node(index: number): FlatNode {
    return new FlatNode(this, index);
  }

  /** 0-based row of `offset`: the number of '\n' before it, as tree-sitter counts rows. */
  rowOf(offset: number): number {
    const lineStarts = (this.lineStartsCache ??= computeLineStarts(this.source));
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Column (UTF-16 code units) of `offset` on its row. */
  columnOf(offset: number, row: number): number {
    const lineStarts = (this.lineStartsCache ??= computeLineStarts(this.source));
    return offset - lineStarts[row];
  }
}

/** A FlatTree as plain data for postMessage; `buffer` holds every array (see `views`). */
export interface FlatTreeTransfer {
  source: string;
  count: number;
  /** Length of each array (at least `count`). */
  capacity: number;
  buffer: ArrayBuffer;
}

export interface FlatArrays {
  typeIds: Uint16Array;
  fieldIds: Uint16Array;
  starts: Int32Array;
  ends: Int32Array;
  startRows: Int32Array;
  parents: Int32Array;
  nextSiblings: Int32Array;
  previousSiblings: Int32Array;
  lastChildren: Int32Array;
  subtreeEnds: Int32Array;
}

/** Per-language lookups by type id and field name, built once per language. */
export interface LanguageTables {
  /** `Node.type` by type id (web-tree-sitter's `types[id] || "ERROR"`). */
  typeNames: string[];
  named: Uint8Array;
  /** Types whose nodes are extras in tree-sitter-python: comments and backslash continuations. */
  extra: Uint8Array;
  fieldNames: ReadonlyArray<string | null>;
  fieldIdsByName: Map<string, number>;
}

const tablesByLanguage = new WeakMap<LanguageInfo, LanguageTables>();

function languageTables(language: LanguageInfo): LanguageTables {
  let tables = tablesByLanguage.get(language);
  if (tables) return tables;
  const count = language.types.length;
  const typeNames: string[] = [];
  const named = new Uint8Array(count);
  const extra = new Uint8Array(count);
  for (let id = 0; id < count; id++) {
    const name = internalize(language.types[id] || "ERROR");
    typeNames.push(name);
    named[id] = language.nodeTypeIsNamed(id) ? 1 : 0;
    extra[id] = named[id] === 1 && (name === "comment" || name === "line_continuation") ? 1 : 0;
  }
  const fieldIdsByName = new Map<string, number>();
  language.fields.forEach((name, id) => {
    if (name !== null && !fieldIdsByName.has(name)) fieldIdsByName.set(name, id);
  });
  tables = { typeNames, named, extra, fieldNames: language.fields, fieldIdsByName };
  tablesByLanguage.set(language, tables);
  return tables;
}

/**
 * The same string as V8's internalized copy (the one a string literal of the same text is), so the
 * analyzers' `switch (node.type)` and `===` against literals compare pointers, not characters: the
 * names web-tree-sitter reads out of wasm are fresh strings. Property keys are internalized.
 */
function internalize(text: string): string {
  return Object.keys({ [text]: 0 })[0] ?? text;
}

function computeLineStarts(source: string): Int32Array {
  const starts: number[] = [0];
  for (let index = source.indexOf("\n"); index !== -1; index = source.indexOf("\n", index + 1)) starts.push(index + 1);
  return Int32Array.from(starts);
}

/** All arrays in one buffer (one allocation per tree): the Int32 arrays, then the Uint16 ones. */
export function allocate(capacity: number): FlatArrays {
  return views(new ArrayBuffer(capacity * (8 * 4 + 2 * 2)), capacity);
}

/** The arrays over one buffer of `capacity` entries each: eight Int32 arrays, then two Uint16. */
export function views(buffer: ArrayBuffer, capacity: number): FlatArrays {
  const int32 = (slot: number) => new Int32Array(buffer, slot * capacity * 4, capacity);
  const uint16 = (slot: number) => new Uint16Array(buffer, 8 * capacity * 4 + slot * capacity * 2, capacity);
  return {
    starts: int32(0),
    ends: int32(1),
    startRows: int32(2),
    parents: int32(3),
    nextSiblings: int32(4),
    previousSiblings: int32(5),
    lastChildren: int32(6),
    subtreeEnds: int32(7),
    typeIds: uint16(0),
    fieldIds: uint16(1),
  };
}

export function grow(arrays: FlatArrays, capacity: number): FlatArrays {
  const grown = allocate(capacity);
  for (const key of Object.keys(arrays) as Array<keyof FlatArrays>) (grown[key] as Int32Array).set(arrays[key] as Int32Array);
  return grown;
}
