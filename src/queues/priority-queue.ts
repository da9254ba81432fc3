import { describeValue } from "../errors.js";
import { Queue } from "./queue.js";

/** Orders two items: negative if `a` comes first, positive if `b` does, 0 if equal. */
export type Comparator<T> = (a: T, b: T) => number;

/** Options of `PriorityQueue`. */
export interface PriorityQueueOptions<T> {
  /** The most items the queue holds; 0 (the default) means no limit. */
  maxsize?: number;
  /** How to order items; by default numbers, strings, bigints and arrays of them (element by element). */
  compare?: Comparator<T>;
}

/**
 * Python's ordering for the values a priority usually is: numbers, strings and
 * bigints by `<`, arrays (tuples such as `[priority, item]`) element by element.
 * Values that cannot be ordered against each other get a `TypeError`, as in Python.
 */
export function defaultCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.min(a.length, b.length);
    for (let i = 0; i < length; i++) {
      const order = defaultCompare(a[i], b[i]);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  const kind = typeof a;
  if (kind === typeof b && (kind === "number" || kind === "string" || kind === "bigint")) {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  throw new TypeError(
    `PriorityQueue cannot order ${describeValue(a)} against ${describeValue(b)}: use numbers, strings or [priority, item] tuples, or pass a compare option`,
  );
}

/**
 * A queue that returns the smallest item first (asyncio's `PriorityQueue`, a binary
 * heap). Put `[priority, item]` tuples, or give a `compare` function. Items that
 * compare equal come out in no particular order, as with Python's heapq.
 *
 * @example
 * ```ts
 * const jobs = new PriorityQueue<[number, string]>();
 * jobs.putNowait([2, "later"]); jobs.putNowait([1, "first"]);
 * jobs.getNowait(); // [1, "first"]
 * const byDeadline = new PriorityQueue<Job>({ compare: (a, b) => a.deadline - b.deadline });
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  private heap: T[] = [];
  private readonly compare: Comparator<T>;

  constructor(options: PriorityQueueOptions<T> | number = {}) {
    const { maxsize = 0, compare = defaultCompare } = typeof options === "number" ? { maxsize: options } : options;
    super(maxsize);
    if (typeof compare !== "function") throw new TypeError(`PriorityQueue compare must be a function, got ${describeValue(compare)}`);
    this.compare = compare;
  }

  protected override storedCount(): number {
    return this.heap.length;
  }

  protected override putItem(item: T): void {
    const heap = this.heap;
    // Compare before storing, so an item that cannot be ordered is never added.
    let index = heap.length;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.compare(item, heap[parent]!) >= 0) break;
      index = parent;
    }
    heap.push(item);
    for (let i = heap.length - 1; i > index; ) {
      const parent = (i - 1) >> 1;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[index] = item;
  }

  protected override getItem(): T {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && this.compare(heap[right]!, heap[left]!) < 0 ? right : left;
        if (this.compare(heap[child]!, last) >= 0) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    return top;
  }
}
