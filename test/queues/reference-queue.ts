// CPython 3.13's asyncio.Queue (Lib/asyncio/queues.py), line for line, on this
// library's loop and futures: the reference the optimized Queue is compared with in
// queue.differential.test.ts. Only what the comparison needs; no speed concerns.
import { type Coro, type Future, QueueEmpty, QueueFull, QueueShutDown, ValueError, getRunningLoop } from "../../src/index.js";
import { ReferenceEvent } from "../sync/reference-sync.js";

export class ReferenceQueue<T> {
  protected readonly items: T[] = [];
  private readonly getters: Future<void>[] = [];
  private readonly putters: Future<void>[] = [];
  private unfinishedTasks = 0;
  private readonly finished = new ReferenceEvent();
  private isShutdown = false;

  constructor(readonly maxsize = 0) {
    this.finished.set();
  }

  /** CPython's `_put` and `_get`: what LifoQueue and PriorityQueue replace. */
  protected putItem(item: T): void {
    this.items.push(item);
  }

  protected getItem(): T {
    return this.items.shift()!;
  }

  private wakeupNext(waiters: Future<void>[]): void {
    while (waiters.length > 0) {
      const waiter = waiters.shift()!;
      if (!waiter.done()) {
        waiter.setResult();
        break;
      }
    }
  }

  qsize(): number {
    return this.items.length;
  }

  empty(): boolean {
    return this.items.length === 0;
  }

  full(): boolean {
    return this.maxsize > 0 && this.qsize() >= this.maxsize;
  }

  *put(item: T): Coro<void> {
    while (this.full()) {
      if (this.isShutdown) throw new QueueShutDown("shut down");
      const putter = getRunningLoop().createFuture<void>();
      this.putters.push(putter);
      try {
        yield* putter;
      } catch (error) {
        putter.cancel(); // just in case putter is not done yet
        const at = this.putters.indexOf(putter);
        if (at !== -1) this.putters.splice(at, 1);
        if (!this.full() && !putter.cancelled()) this.wakeupNext(this.putters);
        throw error;
      }
    }
    this.putNowait(item);
  }

  putNowait(item: T): void {
    if (this.isShutdown) throw new QueueShutDown("shut down");
    if (this.full()) throw new QueueFull("full");
    this.putItem(item);
    this.unfinishedTasks++;
    this.finished.clear();
    this.wakeupNext(this.getters);
  }

  *get(): Coro<T> {
    while (this.empty()) {
      if (this.isShutdown && this.empty()) throw new QueueShutDown("shut down");
      const getter = getRunningLoop().createFuture<void>();
      this.getters.push(getter);
      try {
        yield* getter;
      } catch (error) {
        getter.cancel(); // just in case getter is not done yet
        const at = this.getters.indexOf(getter);
        if (at !== -1) this.getters.splice(at, 1);
        if (!this.empty() && !getter.cancelled()) this.wakeupNext(this.getters);
        throw error;
      }
    }
    return this.getNowait();
  }

  getNowait(): T {
    if (this.empty()) {
      if (this.isShutdown) throw new QueueShutDown("shut down");
      throw new QueueEmpty("empty");
    }
    const item = this.getItem();
    this.wakeupNext(this.putters);
    return item;
  }

  taskDone(): void {
    if (this.unfinishedTasks <= 0) throw new ValueError("task_done() called too many times");
    this.unfinishedTasks--;
    if (this.unfinishedTasks === 0) this.finished.set();
  }

  *join(): Coro<void> {
    if (this.unfinishedTasks > 0) yield* this.finished.wait();
  }

  shutdown(immediate = false): void {
    this.isShutdown = true;
    if (immediate) {
      while (!this.empty()) {
        this.getItem();
        if (this.unfinishedTasks > 0) this.unfinishedTasks--;
      }
      if (this.unfinishedTasks === 0) this.finished.set();
    }
    while (this.getters.length > 0) {
      const getter = this.getters.shift()!;
      if (!getter.done()) getter.setResult();
    }
    while (this.putters.length > 0) {
      const putter = this.putters.shift()!;
      if (!putter.done()) putter.setResult();
    }
  }
}

export class ReferenceLifoQueue<T> extends ReferenceQueue<T> {
  protected override getItem(): T {
    return this.items.pop()!;
  }
}

/** heapq's heappush and heappop on numbers. */
export class ReferencePriorityQueue extends ReferenceQueue<number> {
  protected override putItem(item: number): void {
    const heap = this.items;
    heap.push(item);
    for (let at = heap.length - 1; at > 0; ) {
      const parent = (at - 1) >> 1;
      if (heap[parent]! <= heap[at]!) break;
      [heap[parent], heap[at]] = [heap[at]!, heap[parent]!];
      at = parent;
    }
  }

  protected override getItem(): number {
    const heap = this.items;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let at = 0; ; ) {
        const left = 2 * at + 1;
        const right = left + 1;
        let least = at;
        if (left < heap.length && heap[left]! < heap[least]!) least = left;
        if (right < heap.length && heap[right]! < heap[least]!) least = right;
        if (least === at) break;
        [heap[least], heap[at]] = [heap[at]!, heap[least]!];
        at = least;
      }
    }
    return top;
  }
}
