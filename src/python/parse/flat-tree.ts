import type { Language, Tree } from "web-tree-sitter";
import { FlatNode } from "./flat-node.js";
import { treeSitterRuntime } from "./parser.js";

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
    readonly language: Language,
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

  static fromTransfer(language: Language, transfer: FlatTreeTransfer): FlatTree {
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

interface FlatArrays {
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
  fieldNames: Array<string | null>;
  fieldIdsByName: Map<string, number>;
}

const tablesByLanguage = new WeakMap<Language, LanguageTables>();

function languageTables(language: Language): LanguageTables {
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

/** Thrown for a tree the flat copy does not represent (one with syntax errors). */
export class FlattenError extends Error {
  override readonly name = "FlattenError";
}

/**
 * Copies `tree` into a FlatTree. One cursor walk over wasm, calling the runtime's cursor functions
 * directly (4 to 5 calls per node, no Node objects); rows are counted in JS from the source.
 * `source` must be the string the tree was parsed from.
 */
export function flattenTree(tree: Tree, source: string): FlatTree {
  const root = tree.rootNode;
  if (root.hasError) throw new FlattenError("cannot flatten a tree with syntax errors");
  const runtime = treeSitterRuntime();
  // The number of visible nodes, which the walk visits (+1 so the growth check below never fires
  // for a correct count; the arrays grow if it were ever short).
  let capacity = root.descendantCount + 1;
  let arrays = allocate(capacity);
  const treeAddress = (tree as unknown as { 0: number })[0];
  const cursor = root.walk();
  const handles = (cursor as unknown as { handles: number[] }).handles;
  const transfer = runtime._ts_init() >> 2;
  // The cursor lives in the transfer buffer for the whole walk: each goto function reads it from
  // there and writes it back, and the read-only functions below leave it untouched.
  for (let word = 0; word < 4; word++) runtime.HEAP32[transfer + word] = handles[word];

  const gotoFirstChild = runtime._ts_tree_cursor_goto_first_child_wasm;
  const gotoNextSibling = runtime._ts_tree_cursor_goto_next_sibling_wasm;
  const gotoParent = runtime._ts_tree_cursor_goto_parent_wasm;
  const currentTypeId = runtime._ts_tree_cursor_current_node_type_id_wasm;
  const currentFieldId = runtime._ts_tree_cursor_current_field_id_wasm;
  const startIndex = runtime._ts_tree_cursor_start_index_wasm;
  const endIndex = runtime._ts_tree_cursor_end_index_wasm;

  let row = 0;
  /** Offset up to which '\n's have been counted into `row`; starts never decrease in pre-order. */
  let counted = 0;
  let index = 0;
  let count = 0;
  arrays.parents[0] = -1;
  arrays.previousSiblings[0] = -1;
  try {
    for (;;) {
      const start = startIndex(treeAddress);
      arrays.typeIds[index] = currentTypeId(treeAddress);
      arrays.fieldIds[index] = currentFieldId(treeAddress);
      arrays.starts[index] = start;
      arrays.ends[index] = endIndex(treeAddress);
      for (; counted < start; counted++) if (source.charCodeAt(counted) === 10) row++;
      arrays.startRows[index] = row;
      arrays.nextSiblings[index] = -1;
      arrays.lastChildren[index] = -1;
      count = index + 1;
      if (count === capacity) {
        capacity *= 2;
        arrays = grow(arrays, capacity);
      }
      if (gotoFirstChild(treeAddress) === 1) {
        arrays.parents[count] = index;
        arrays.previousSiblings[count] = -1;
        index = count;
        continue;
      }
      arrays.subtreeEnds[index] = count;
      // Climb until a node has a next sibling, closing each finished parent.
      let node = index;
      let moved = false;
      while (node !== 0) {
        if (gotoNextSibling(treeAddress) === 1) {
          moved = true;
          break;
        }
        const parent = arrays.parents[node];
        arrays.lastChildren[parent] = node;
        arrays.subtreeEnds[parent] = count;
        gotoParent(treeAddress);
        node = parent;
      }
      if (!moved) break;
      arrays.nextSiblings[node] = count;
      arrays.previousSiblings[count] = node;
      arrays.parents[count] = arrays.parents[node];
      index = count;
    }
  } finally {
    // The walk may have reallocated the cursor's stack: hand its current state back before delete.
    const heap = runtime.HEAP32;
    for (let word = 0; word < 4; word++) handles[word] = heap[transfer + word];
    cursor.delete();
  }
  return new FlatTree(tree.language, source, count, arrays);
}

/** All arrays in one buffer (one allocation per tree): the Int32 arrays, then the Uint16 ones. */
function allocate(capacity: number): FlatArrays {
  return views(new ArrayBuffer(capacity * (8 * 4 + 2 * 2)), capacity);
}

/** The arrays over one buffer of `capacity` entries each: eight Int32 arrays, then two Uint16. */
function views(buffer: ArrayBuffer, capacity: number): FlatArrays {
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

function grow(arrays: FlatArrays, capacity: number): FlatArrays {
  const grown = allocate(capacity);
  for (const key of Object.keys(arrays) as Array<keyof FlatArrays>) (grown[key] as Int32Array).set(arrays[key] as Int32Array);
  return grown;
}
