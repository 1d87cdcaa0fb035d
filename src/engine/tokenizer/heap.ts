/**
 * Binary max-heap of merge candidates (left symbol index, right symbol index, priority, size),
 * stored in parallel typed arrays. Higher priority pops first; ties pop the smaller left index,
 * the order llama.cpp's std::priority_queue comparators define.
 */
export class BigramHeap {
  private priority = new Float64Array(64);
  private left = new Int32Array(64);
  private right = new Int32Array(64);
  private size = new Int32Array(64);
  length = 0;

  push(priority: number, left: number, right: number, size: number): void {
    if (this.length === this.priority.length) this.grow();
    let i = this.length++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(priority, left, this.priority[parent], this.left[parent])) break;
      this.set(i, this.priority[parent], this.left[parent], this.right[parent], this.size[parent]);
      i = parent;
    }
    this.set(i, priority, left, right, size);
  }

  /** Removes the top; read it first with topLeft/topRight/topSize. */
  pop(): void {
    const last = --this.length;
    if (last === 0) return;
    const priority = this.priority[last];
    const left = this.left[last];
    const right = this.right[last];
    const size = this.size[last];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      if (child + 1 < last && this.before(this.priority[child + 1], this.left[child + 1], this.priority[child], this.left[child])) {
        child++;
      }
      if (!this.before(this.priority[child], this.left[child], priority, left)) break;
      this.set(i, this.priority[child], this.left[child], this.right[child], this.size[child]);
      i = child;
    }
    this.set(i, priority, left, right, size);
  }

  get topLeft(): number {
    return this.left[0];
  }
  get topRight(): number {
    return this.right[0];
  }
  get topSize(): number {
    return this.size[0];
  }

  private before(priorityA: number, leftA: number, priorityB: number, leftB: number): boolean {
    return priorityA > priorityB || (priorityA === priorityB && leftA < leftB);
  }

  private set(i: number, priority: number, left: number, right: number, size: number): void {
    this.priority[i] = priority;
    this.left[i] = left;
    this.right[i] = right;
    this.size[i] = size;
  }

  private grow(): void {
    const capacity = this.priority.length * 2;
    const grow = <T extends Float64Array | Int32Array>(array: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(array);
      return next;
    };
    this.priority = grow(this.priority, (n) => new Float64Array(n));
    this.left = grow(this.left, (n) => new Int32Array(n));
    this.right = grow(this.right, (n) => new Int32Array(n));
    this.size = grow(this.size, (n) => new Int32Array(n));
  }
}
