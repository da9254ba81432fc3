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
  // The waiters are items[head] to items[tail - 1]; the slots outside are empty.
  // The ends are kept as indices rather than in the array's length: emptying an
  // array by setting its length is a runtime call, measured on every wait of a
  // contended queue.
  private items: Array<Future<T> | undefined> = [];
  private head = 0;
  private tail = 0;

  /**
   * `owner`: the primitive whose waiters these are, and `action` which of its waits
   * (a queue's "get"): the call graph names them.
   */
  constructor(
    private readonly owner: object | string = "waiter queue",
    private readonly action?: string,
  ) {}

  get length(): number {
    return this.tail - this.head;
  }

  push(waiter: Future<T>): void {
    this.items[this.tail++] = waiter;
  }

  /**
   * Joins the queue with a new waiter, waits until it is woken, and leaves the
   * queue on every way out. Returns the waiter; `onJoin` gets it first, so a caller
   * can inspect it when the wait ends with an error (woken, then cancelled?).
   */
  *wait(loop: EventLoop, onJoin?: (waiter: Future<T>) => void): Coro<Future<T>> {
    const waiter: Future<T> = new LabelledFuture<T>(loop, this.owner, this.action);
    this.push(waiter);
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

  /**
   * Wakes the first waiter not yet woken with `value`, taking it out of the queue
   * (and dropping those already done); returns whether there was one.
   */
  wakeNext(value: T): boolean {
    for (let waiter = this.shift(); waiter !== undefined; waiter = this.shift()) {
      if (!waiter.done()) {
        waiter.setResult(value);
        return true;
      }
    }
    return false;
  }

  /**
   * Joins the queue with a new waiter and returns it, for a caller that waits on
   * it directly (no coroutine of ours between) and calls `leave` if the wait fails.
   */
  join(loop: EventLoop): Future<T> {
    const waiter: Future<T> = new LabelledFuture<T>(loop, this.owner, this.action);
    this.push(waiter);
    return waiter;
  }

  /**
   * A joined waiter's wait ended in an error (its task was cancelled): takes it out
   * of the queue. Returns whether it had been woken just before: then the wake-up
   * is the caller's to pass on, or what it was woken for would wait with nobody
   * woken for it.
   */
  leave(waiter: Future<T>): boolean {
    if (waiter.done() && !waiter.cancelled()) return true; // woken: wakeNext took it out
    waiter.cancel();
    this.remove(waiter);
    return false;
  }

  /** Removes and returns the first waiter, or undefined. */
  shift(): Future<T> | undefined {
    if (this.head === this.tail) return undefined;
    const waiter = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.tail) {
      this.head = this.tail = 0;
      if (this.items.length > 64) this.items = []; // a burst of waiters is over: let its room go
    } else if (this.head > 32 && this.head * 2 > this.tail) {
      // Mostly empty slots in front: move the waiters down.
      this.items = this.items.slice(this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    return waiter;
  }

  /** Removes `waiter` if present; returns whether it was. */
  remove(waiter: Future<T>): boolean {
    if (this.head < this.tail && this.items[this.head] === waiter) {
      this.shift();
      return true;
    }
    const items = this.items;
    const index = items.indexOf(waiter, this.head);
    if (index < 0 || index >= this.tail) return false;
    items.copyWithin(index, index + 1, this.tail);
    items[--this.tail] = undefined;
    return true;
  }

  /** The waiters in order. */
  *[Symbol.iterator](): Iterator<Future<T>> {
    for (let i = this.head; i < this.tail; i++) yield this.items[i]!;
  }

  /** The first waiter, or undefined. */
  first(): Future<T> | undefined {
    return this.head < this.tail ? this.items[this.head] : undefined;
  }

  /** The first waiter that is not done, or undefined. */
  firstPending(): Future<T> | undefined {
    for (let i = this.head; i < this.tail; i++) {
      const waiter = this.items[i]!;
      if (!waiter.done()) return waiter;
    }
    return undefined;
  }

  /** Whether every waiter was cancelled (true when empty). */
  allCancelled(): boolean {
    for (let i = this.head; i < this.tail; i++) if (!this.items[i]!.cancelled()) return false;
    return true;
  }
}
