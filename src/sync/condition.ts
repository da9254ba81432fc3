import { CancelledError, RuntimeError, describeValue } from "../errors.js";
import { type AwaitableCoro, makeMethodAwaitable } from "../futures/awaitable.js";
import type { Coro } from "../futures/coroutine.js";
import { type Guard, holdGuard } from "./hold.js";
import { Lock } from "./lock.js";
import { LoopBound } from "../futures/loop-bound.js";
import { WaiterQueue } from "../futures/waiter-queue.js";
import { checkInteger } from "../validate.js";

/**
 * A condition variable, as asyncio's `Condition`: tasks holding its lock `wait()`
 * for a `notify()`. `wait()` releases the lock while waiting and always re-acquires
 * it before returning — even when cancelled.
 *
 * @example
 * ```ts
 * const condition = new Condition();
 * function* consumer(): Coro<Item> {
 *   return yield* withLock(condition, function* () {
 *     yield* condition.waitFor(() => items.length > 0);
 *     return items.shift()!;
 *   });
 * }
 * function* producer(item: Item): Coro<void> {
 *   yield* withLock(condition, function* () { items.push(item); condition.notify(); });
 * }
 * ```
 */
export class Condition extends LoopBound {
  private readonly lock: Lock;
  private readonly waiters = new WaiterQueue<boolean>(this);

  /** A condition on `lock`, or on a new `Lock` of its own. */
  constructor(lock?: Lock) {
    super();
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(`Condition expects a Lock (or nothing), got ${describeValue(lock)}`);
    }
    this.lock = lock ?? new Lock();
  }

  /** Whether the underlying lock is held. */
  locked(): boolean {
    return this.lock.locked();
  }

  /** Acquires the underlying lock. */
  acquire(): AwaitableCoro<boolean> {
    return this.lock.acquire();
  }

  /** Releases the underlying lock. */
  release(): void {
    this.lock.release();
  }

  /** Acquires the underlying lock and returns a `Guard` (for `using`). */
  hold(): AwaitableCoro<Guard> {
    return holdGuard(this);
  }

  /**
   * Releases the lock, waits for a notification, re-acquires the lock and returns
   * `true`. `RuntimeError` if the lock is not held.
   */
  wait(): AwaitableCoro<boolean> {
    return this.waitCoro() as AwaitableCoro<boolean>;
  }

  /**
   * Waits until `predicate()` is true, checking it first and after each
   * notification; returns its last value.
   */
  waitFor<T>(predicate: () => T): AwaitableCoro<T> {
    if (typeof predicate !== "function") throw new TypeError(`waitFor expects a predicate function, got ${describeValue(predicate)}`);
    return this.waitForCoro(predicate) as AwaitableCoro<T>;
  }

  /** Wakes up to `n` waiters. `RuntimeError` if the lock is not held. */
  notify(n = 1): void {
    checkInteger(n, "Condition.notify count", 0);
    if (!this.locked()) throw new RuntimeError("cannot notify on un-acquired lock: hold the condition's lock to notify.");
    this.wake(n);
  }

  /** Wakes every waiter. `RuntimeError` if the lock is not held. */
  notifyAll(): void {
    this.notify(this.waiters.length);
  }

  override toString(): string {
    return `<Condition [${this.locked() ? "locked" : "unlocked"}${this.waiters.length ? `, waiters:${this.waiters.length}` : ""}]>`;
  }

  private *waitCoro(): Coro<boolean> {
    if (!this.locked()) throw new RuntimeError("cannot wait on un-acquired lock: acquire the condition before wait().");
    const loop = this.loop();
    this.release();
    try {
      try {
        yield* this.waiters.wait(loop);
        return true;
      } finally {
        // The lock must be held again on every way out, even when cancelled.
        let cancelled: unknown = null;
        for (;;) {
          try {
            yield* this.acquire();
            break;
          } catch (error) {
            if (!(error instanceof CancelledError)) throw error;
            cancelled = error;
          }
        }
        if (cancelled !== null) throw cancelled;
      }
    } catch (error) {
      // This task may have been notified before the error: pass the notification
      // on (a spurious wake-up at worst, which the protocol allows).
      this.wake(1);
      throw error;
    }
  }

  private *waitForCoro<T>(predicate: () => T): Coro<T> {
    let result = predicate();
    while (!result) {
      yield* this.wait();
      result = predicate();
    }
    return result;
  }

  private wake(n: number): void {
    let woken = 0;
    for (const waiter of this.waiters) {
      if (woken >= n) break;
      if (!waiter.done()) {
        woken++;
        waiter.setResult(false);
      }
    }
  }
}

makeMethodAwaitable(Condition.prototype, "waitCoro");
makeMethodAwaitable(Condition.prototype, "waitForCoro");
