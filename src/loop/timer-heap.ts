import type { TimerHandle } from "./handles.js";

/**
 * A binary min-heap of timers, ordered by due time, then by the order they were
 * scheduled in. Cancelled timers stay in place until they reach the top or the
 * loop compacts the heap (asyncio's lazy removal), so `cancel()` is O(1).
 *
 * The keys live beside the timers, in arrays of numbers of their own: a pop
 * compares about 2·log2(n) keys, and read from the timer objects, spread over the
 * heap's memory, each was a cache miss (with 1e5 timers a pop cost 1.5–2 µs,
 * most of a sleep's price). Packed, the upper levels stay in the cache.
 */
export class TimerHeap {
  private timers: TimerHandle[] = [];
  private whens: number[] = [];
  private sequences: number[] = [];

  get size(): number {
    return this.timers.length;
  }

  peek(): TimerHandle | undefined {
    return this.timers[0];
  }

  push(timer: TimerHandle): void {
    const { timers, whens, sequences } = this;
    const when = timer._when;
    const sequence = timer._sequence;
    let index = timers.length;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentWhen = whens[parent]!;
      if (parentWhen < when || (parentWhen === when && sequences[parent]! < sequence)) break;
      timers[index] = timers[parent]!;
      whens[index] = parentWhen;
      sequences[index] = sequences[parent]!;
      index = parent;
    }
    timers[index] = timer;
    whens[index] = when;
    sequences[index] = sequence;
  }

  pop(): TimerHandle | undefined {
    const { timers, whens, sequences } = this;
    const top = timers[0];
    const last = timers.pop();
    const lastWhen = whens.pop()!;
    const lastSequence = sequences.pop()!;
    if (timers.length > 0 && last !== undefined) this.siftDown(last, lastWhen, lastSequence);
    return top;
  }

  /** Drops every cancelled timer and rebuilds the heap: O(n log n). */
  removeCancelled(): void {
    const kept = this.timers.filter((timer) => {
      if (timer._cancelled) timer._scheduled = false;
      return !timer._cancelled;
    });
    kept.sort((a, b) => a._when - b._when || a._sequence - b._sequence);
    // A sorted array is a valid heap.
    this.timers = kept;
    this.whens = kept.map((timer) => timer._when);
    this.sequences = kept.map((timer) => timer._sequence);
  }

  private siftDown(timer: TimerHandle, when: number, sequence: number): void {
    const { timers, whens, sequences } = this;
    const length = timers.length;
    let index = 0;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      let childWhen = whens[child]!;
      const right = child + 1;
      if (right < length) {
        const rightWhen = whens[right]!;
        if (rightWhen < childWhen || (rightWhen === childWhen && sequences[right]! < sequences[child]!)) {
          child = right;
          childWhen = rightWhen;
        }
      }
      if (when < childWhen || (when === childWhen && sequence < sequences[child]!)) break;
      timers[index] = timers[child]!;
      whens[index] = childWhen;
      sequences[index] = sequences[child]!;
      index = child;
    }
    timers[index] = timer;
    whens[index] = when;
    sequences[index] = sequence;
  }
}
