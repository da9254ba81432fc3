import type { EventLoop } from "../loop/event-loop.js";
import type { Coro } from "./coroutine.js";
import type { Future } from "./future.js";
import { LabelledFuture } from "./labelled-future.js";

/**
 * A FIFO of waiter futures (asyncio's `collections.deque` of waiters). Removal is
 * O(1) for the head — the usual case, since waiters leave in the order they came —
 * and O(n) for a waiter cancelled in the middle.
 */
export class WaiterQueue<T = unknown> {
  private items: Array<Future<T>> = [];
  private head = 0;

  /**
   * `owner`: the primitive whose waiters these are, and `action` which of its waits
   * (a queue's "get"): the call graph names them.
   */
  constructor(
    private readonly owner: object | string = "waiter queue",
    private readonly action?: string,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(waiter: Future<T>): void {
    this.items.push(waiter);
  }

  /**
   * Joins the queue with a new waiter, waits until it is woken, and leaves the
   * queue on every way out. Returns the waiter; `onJoin` gets it first, so a caller
   * can inspect it when the wait ends with an error (woken, then cancelled?).
   */
  *wait(loop: EventLoop, onJoin?: (waiter: Future<T>) => void): Coro<Future<T>> {
    const waiter: Future<T> = new LabelledFuture<T>(loop, this.owner, this.action);
    this.items.push(waiter);
    onJoin?.(waiter);
    try {
      yield* waiter;
      return waiter;
    } finally {
      this.remove(waiter);
    }
  }

  /**
   * Waits until `ready()` holds, joining the queue each time it does not;
   * `beforeWait` runs before each wait (to throw when waiting is no longer
   * allowed). A waiter woken and then cancelled before it could act passes the
   * wake-up on, so a freed slot or item is never left with nobody woken for it.
   */
  *waitUntil(this: WaiterQueue<void>, loop: EventLoop, ready: () => boolean, beforeWait?: () => void): Coro<void> {
    while (!ready()) {
      beforeWait?.();
      let waiter: Future<void> | undefined;
      try {
        yield* this.wait(loop, (joined) => (waiter = joined));
      } catch (error) {
        waiter!.cancel(); // in case it is not done yet
        if (ready() && !waiter!.cancelled()) this.wakeNext();
        throw error;
      }
    }
  }

  /** Wakes the first waiter not yet woken (dropping those already done); returns whether there was one. */
  wakeNext(this: WaiterQueue<void>): boolean {
    for (let waiter = this.shift(); waiter !== undefined; waiter = this.shift()) {
      if (!waiter.done()) {
        waiter.setResult();
        return true;
      }
    }
    return false;
  }

  /** Removes and returns the first waiter, or undefined. */
  shift(): Future<T> | undefined {
    if (this.head >= this.items.length) return undefined;
    const waiter = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Future<T>;
    this.compact();
    return waiter;
  }

  /** Removes `waiter` if present; returns whether it was. */
  remove(waiter: Future<T>): boolean {
    if (this.items[this.head] === waiter) {
      this.shift();
      return true;
    }
    const index = this.items.indexOf(waiter, this.head);
    if (index < 0) return false;
    this.items.splice(index, 1);
    return true;
  }

  /** The waiters in order. */
  *[Symbol.iterator](): Iterator<Future<T>> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }

  /** The first waiter, or undefined. */
  first(): Future<T> | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** The first waiter that is not done, or undefined. */
  firstPending(): Future<T> | undefined {
    for (let i = this.head; i < this.items.length; i++) {
      const waiter = this.items[i]!;
      if (!waiter.done()) return waiter;
    }
    return undefined;
  }

  /** Whether every waiter was cancelled (true when empty). */
  allCancelled(): boolean {
    for (let i = this.head; i < this.items.length; i++) if (!this.items[i]!.cancelled()) return false;
    return true;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 32 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
