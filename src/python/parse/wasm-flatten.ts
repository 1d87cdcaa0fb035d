import type { Parser, Tree } from "web-tree-sitter";
import { allocate, FlatTree, grow } from "./flat-tree.js";
import type { FlatParse } from "./flat-parser.js";
import { parsePython, type SyntaxNode, treeSitterRuntime } from "./parser.js";

// The wasm way to a FlatTree (web-tree-sitter parses, one cursor walk copies the tree out): used
// when the native parser is not built, and by tests that hold web-tree-sitter trees.

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

/** Parses with web-tree-sitter and copies the tree out, or describes its first syntax error. */
export function parseWithWasm(parser: Parser, source: string): FlatParse {
  const tree = parsePython(parser, source);
  try {
    const root = tree.rootNode;
    if (root.hasError) return { syntaxError: describeSyntaxError(root) };
    return { tree: flattenTree(tree, source) };
  } finally {
    tree.delete();
  }
}

/** The first ERROR or MISSING node, as `syntax error at line L, column C`. */
function describeSyntaxError(root: SyntaxNode): string {
  const cursor = root.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.isError || node.isMissing) {
        const where = `line ${node.startPosition.row + 1}, column ${node.startPosition.column + 1}`;
        return node.isMissing ? `syntax error at ${where}: missing ${node.type}` : `syntax error at ${where}`;
      }
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return "syntax error";
      }
    }
  } finally {
    cursor.delete();
  }
}
