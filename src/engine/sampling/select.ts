/**
 * In-place selection and sorting of token ids by a key array (the logits), descending, without
 * allocating. Ties keep a deterministic (though unspecified) order, so the same input always gives
 * the same output.
 */

/** Rearranges ids[from, to) so that ids[from, from + count) hold the `count` ids of largest key (unordered). */
export function selectLargest(ids: Int32Array, from: number, to: number, count: number, keys: Float32Array): void {
  let left = from;
  let right = to - 1;
  const target = from + count - 1; // after selection, ids[target] has rank `count` and everything before it is >=
  while (right > left) {
    const pivotIndex = medianOfThree(ids, left, (left + right) >>> 1, right, keys);
    const pivot = keys[ids[pivotIndex]];
    swap(ids, pivotIndex, right);
    let store = left;
    for (let i = left; i < right; i++) {
      if (keys[ids[i]] > pivot) {
        swap(ids, i, store);
        store++;
      }
    }
    swap(ids, store, right);
    // Equal keys all sit right of `store`; skip past a run of them so many ties cannot make this quadratic.
    let equalEnd = store;
    for (let i = store + 1; i <= right; i++) {
      if (keys[ids[i]] === pivot) {
        equalEnd++;
        swap(ids, i, equalEnd);
      }
    }
    if (target < store) right = store - 1;
    else if (target > equalEnd) left = equalEnd + 1;
    else return;
  }
}

/** Sorts ids[from, to) by key, largest first. */
export function sortDescending(ids: Int32Array, from: number, to: number, keys: Float32Array): void {
  while (to - from > 16) {
    const pivotIndex = medianOfThree(ids, from, (from + to - 1) >>> 1, to - 1, keys);
    const pivot = keys[ids[pivotIndex]];
    swap(ids, pivotIndex, to - 1);
    let store = from;
    for (let i = from; i < to - 1; i++) {
      if (keys[ids[i]] > pivot) {
        swap(ids, i, store);
        store++;
      }
    }
    swap(ids, store, to - 1);
    // Recurse into the smaller side, loop over the larger: stack depth stays logarithmic.
    if (store - from < to - store - 1) {
      sortDescending(ids, from, store, keys);
      from = store + 1;
    } else {
      sortDescending(ids, store + 1, to, keys);
      to = store;
    }
  }
  for (let i = from + 1; i < to; i++) {
    const id = ids[i];
    const key = keys[id];
    let j = i - 1;
    while (j >= from && keys[ids[j]] < key) {
      ids[j + 1] = ids[j];
      j--;
    }
    ids[j + 1] = id;
  }
}

function medianOfThree(ids: Int32Array, a: number, b: number, c: number, keys: Float32Array): number {
  const ka = keys[ids[a]];
  const kb = keys[ids[b]];
  const kc = keys[ids[c]];
  if (ka > kb) {
    if (kb > kc) return b;
    return ka > kc ? c : a;
  }
  if (ka > kc) return a;
  return kb > kc ? c : b;
}

function swap(ids: Int32Array, i: number, j: number): void {
  const t = ids[i];
  ids[i] = ids[j];
  ids[j] = t;
}
