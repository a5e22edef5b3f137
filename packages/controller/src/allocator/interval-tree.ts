// An AVL tree of disjoint, non-adjacent closed intervals [start, end] of bigint ordinals, ordered by start.
// The allocator keeps the FREE part of each pool here, so memory is O(number of holes) = O(allocated + ranges)
// and "lowest free", "take this one" and "give back" are each one O(log n) descent. `steps` counts visited
// nodes so tests can show the logarithmic bound without timing anything.

interface Node {
  start: bigint;
  end: bigint;
  left: Node | null;
  right: Node | null;
  height: number;
}

function height(node: Node | null): number {
  return node === null ? 0 : node.height;
}

function update(node: Node): void {
  const l = height(node.left);
  const r = height(node.right);
  node.height = Math.max(l, r) + 1;
}

function rotateRight(node: Node): Node {
  const pivot = node.left!;
  node.left = pivot.right;
  pivot.right = node;
  update(node);
  update(pivot);
  return pivot;
}

function rotateLeft(node: Node): Node {
  const pivot = node.right!;
  node.right = pivot.left;
  pivot.left = node;
  update(node);
  update(pivot);
  return pivot;
}

function balance(node: Node): Node {
  update(node);
  const factor = height(node.left) - height(node.right);
  if (factor > 1) {
    if (height(node.left!.left) < height(node.left!.right)) node.left = rotateLeft(node.left!);
    return rotateRight(node);
  }
  if (factor < -1) {
    if (height(node.right!.right) < height(node.right!.left)) node.right = rotateRight(node.right!);
    return rotateLeft(node);
  }
  return node;
}

export interface Interval {
  readonly start: bigint;
  readonly end: bigint;
}

export class IntervalTree {
  private root: Node | null = null;
  private count = 0;
  /** Nodes visited since construction (or the last resetSteps); evidence for O(log n), not a timer. */
  steps = 0;

  get size(): number {
    return this.count;
  }

  get depth(): number {
    return height(this.root);
  }

  resetSteps(): void {
    this.steps = 0;
  }

  insert(start: bigint, end: bigint): void {
    this.root = this.insertAt(this.root, start, end);
    this.count++;
  }

  private insertAt(node: Node | null, start: bigint, end: bigint): Node {
    this.steps++;
    if (node === null) return { start, end, left: null, right: null, height: 1 };
    if (start < node.start) node.left = this.insertAt(node.left, start, end);
    else if (start > node.start) node.right = this.insertAt(node.right, start, end);
    else throw new Error(`interval starting at ${start} already present`);
    return balance(node);
  }

  delete(start: bigint): void {
    this.root = this.deleteAt(this.root, start);
    this.count--;
  }

  private deleteAt(node: Node | null, start: bigint): Node | null {
    this.steps++;
    if (node === null) throw new Error(`no interval starts at ${start}`);
    if (start < node.start) node.left = this.deleteAt(node.left, start);
    else if (start > node.start) node.right = this.deleteAt(node.right, start);
    else {
      if (node.left === null) return node.right;
      if (node.right === null) return node.left;
      let successor = node.right;
      while (successor.left !== null) {
        this.steps++;
        successor = successor.left;
      }
      node.start = successor.start;
      node.end = successor.end;
      node.right = this.deleteAt(node.right, successor.start);
    }
    return balance(node);
  }

  /** The interval with the greatest start <= key. */
  floor(key: bigint): Node | null {
    let node = this.root;
    let best: Node | null = null;
    while (node !== null) {
      this.steps++;
      if (node.start === key) return node;
      if (node.start < key) {
        best = node;
        node = node.right;
      } else node = node.left;
    }
    return best;
  }

  /** The interval with the smallest start >= key. */
  ceiling(key: bigint): Node | null {
    let node = this.root;
    let best: Node | null = null;
    while (node !== null) {
      this.steps++;
      if (node.start === key) return node;
      if (node.start > key) {
        best = node;
        node = node.left;
      } else node = node.right;
    }
    return best;
  }

  min(): Node | null {
    let node = this.root;
    if (node === null) return null;
    while (node.left !== null) {
      this.steps++;
      node = node.left;
    }
    this.steps++;
    return node;
  }

  /** In-order listing; O(n), for tests and debugging only. */
  toArray(): Interval[] {
    const out: Interval[] = [];
    const walk = (node: Node | null): void => {
      if (node === null) return;
      walk(node.left);
      out.push({ start: node.start, end: node.end });
      walk(node.right);
    };
    walk(this.root);
    return out;
  }
}

/**
 * The free ordinals of one address space [0, size). Starts fully free; `takeLowest`, `take` and `give`
 * keep intervals disjoint and merged, so the tree holds one node per hole between allocations.
 */
export class FreeSet {
  readonly tree = new IntervalTree();
  readonly size: bigint;
  private freeCount: bigint;

  constructor(size: bigint) {
    this.size = size;
    this.freeCount = size;
    if (size > 0n) this.tree.insert(0n, size - 1n);
  }

  get free(): bigint {
    return this.freeCount;
  }

  /** Lowest free ordinal, or null when exhausted. */
  takeLowest(): bigint | null {
    const node = this.tree.min();
    if (node === null) return null;
    const ordinal = node.start;
    if (node.start === node.end) this.tree.delete(node.start);
    // Raising the minimum's start keeps the order (no other interval lies below it): mutate in place.
    else node.start++;
    this.freeCount--;
    return ordinal;
  }

  isFree(ordinal: bigint): boolean {
    const node = this.tree.floor(ordinal);
    return node !== null && node.end >= ordinal;
  }

  /** Marks one ordinal used; false when it was not free. */
  take(ordinal: bigint): boolean {
    const node = this.tree.floor(ordinal);
    if (node === null || node.end < ordinal) return false;
    if (node.start === ordinal) {
      if (node.end === ordinal) this.tree.delete(ordinal);
      else node.start++; // still above its predecessor and below its successor
    } else if (node.end === ordinal) {
      node.end--;
    } else {
      const tailEnd = node.end;
      node.end = ordinal - 1n;
      this.tree.insert(ordinal + 1n, tailEnd);
    }
    this.freeCount--;
    return true;
  }

  /** Returns one ordinal to the free set, merging with its neighbours; false when it was already free. */
  give(ordinal: bigint): boolean {
    if (ordinal < 0n || ordinal >= this.size)
      throw new RangeError(`ordinal ${ordinal} outside [0, ${this.size})`);
    const below = this.tree.floor(ordinal);
    if (below !== null && below.end >= ordinal) return false;
    const above = ordinal + 1n < this.size ? this.tree.ceiling(ordinal + 1n) : null;
    const joinsBelow = below !== null && below.end === ordinal - 1n;
    const joinsAbove = above !== null && above.start === ordinal + 1n;
    if (joinsBelow && joinsAbove) {
      const end = above.end;
      // Deleting `above` only rewrites the contents of `above` (and unlinks its successor); `below` stays valid.
      this.tree.delete(above.start);
      below.end = end;
    } else if (joinsBelow) {
      below.end = ordinal;
    } else if (joinsAbove) {
      above.start = ordinal; // lowering a start down to a gap keeps the order
    } else {
      this.tree.insert(ordinal, ordinal);
    }
    this.freeCount++;
    return true;
  }
}
