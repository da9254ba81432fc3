import type { TimerHandle } from "./handles.js";

/** Orders timers by due time, then by the order they were scheduled in. */
function earlier(a: TimerHandle, b: TimerHandle): boolean {
  return a._when < b._when || (a._when === b._when && a._sequence < b._sequence);
}

/**
 * A binary min-heap of timers. Cancelled timers stay in place until they reach
 * the top or the loop compacts the heap (asyncio's lazy removal), so `cancel()`
 * is O(1).
 */
export class TimerHeap {
  private items: TimerHandle[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): TimerHandle | undefined {
    return this.items[0];
  }

  push(timer: TimerHandle): void {
    const items = this.items;
    let index = items.length;
    items.push(timer);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!earlier(timer, items[parent]!)) break;
      items[index] = items[parent]!;
      index = parent;
    }
    items[index] = timer;
  }

  pop(): TimerHandle | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      this.siftDown(last);
    }
    return top;
  }

  /** Drops every cancelled timer and rebuilds the heap: O(n). */
  removeCancelled(): void {
    const kept = this.items.filter((timer) => {
      if (timer._cancelled) timer._scheduled = false;
      return !timer._cancelled;
    });
    kept.sort((a, b) => (earlier(a, b) ? -1 : 1));
    this.items = kept; // a sorted array is a valid heap
  }

  private siftDown(timer: TimerHandle): void {
    const items = this.items;
    const length = items.length;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && earlier(items[right]!, items[left]!) ? right : left;
      if (!earlier(items[child]!, timer)) break;
      items[index] = items[child]!;
      index = child;
    }
    items[index] = timer;
  }
}
