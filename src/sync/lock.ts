import { RuntimeError } from "../errors.js";
import type { AwaitableCoro } from "../futures/awaitable.js";
import type { Future } from "../futures/future.js";
import { watchMethod } from "../futures/never-awaited.js";
import { type RetryPlan, WAIT, tryFirst } from "../futures/try-first.js";
import { type Guard, holdGuard } from "./hold.js";
import { LoopBound } from "../futures/loop-bound.js";
import { WaiterQueue } from "../futures/waiter-queue.js";

/**
 * A mutual-exclusion lock, as asyncio's `Lock`: strictly FIFO (a task that releases
 * and re-acquires queues behind the waiter it woke — no barging), and safe under
 * cancellation (a waiter cancelled after it was woken passes the lock on).
 * An uncontended `acquire()` returns without yielding to the loop.
 *
 * @example
 * ```ts
 * const lock = new Lock();
 * function* update(): Coro<void> {
 *   yield* withLock(lock, function* () { yield* writeFile(); });
 *   // or: using _ = yield* lock.hold();
 * }
 * ```
 */
export class Lock extends LoopBound {
  private readonly waiters = new WaiterQueue<boolean>(this);
  private isLocked = false;

  /** Whether some task holds the lock. */
  locked(): boolean {
    return this.isLocked;
  }

  /**
   * Waits until the lock is free, then takes it. Cancellable while it waits.
   * Returns `true`.
   */
  acquire(): AwaitableCoro<boolean> {
    return tryFirst(this.acquirePlan);
  }

  /** An uncontended acquire is over at its first step, and a wait makes only its waiter (see tryFirst). */
  private readonly acquirePlan: RetryPlan<boolean> = {
    attempt: () => (this._takeAtOnce() ? true : WAIT),
    join: () => this.waiters.join(this.loop()),
    // Woken by a release: the lock is this waiter's (nobody jumps a queue with a woken waiter in it).
    woken: (waiter) => {
      this.waiters.remove(waiter as Future<boolean>);
      this.isLocked = true;
      return true;
    },
    // Woken and then cancelled, or cancelled while the lock is free: make sure the
    // next waiter runs, or the lock would stay free with tasks waiting for it.
    abandon: (waiter) => {
      this.waiters.remove(waiter as Future<boolean>);
      if (!this.isLocked) this.wakeUpFirst();
    },
  };

  /**
   * Acquires the lock and returns a `Guard` that releases it; with `using`, the
   * lock is released on every exit path.
   */
  hold(): AwaitableCoro<Guard> {
    return holdGuard(this);
  }

  /** Releases the lock and wakes the first waiter. `RuntimeError` if it is not locked. */
  release(): void {
    if (!this.isLocked) throw new RuntimeError("Lock is not acquired: release() must follow a successful acquire().");
    this.isLocked = false;
    this.wakeUpFirst();
  }

  /**
   * @internal Takes the lock if `acquire()` would take it at once, without waiting
   * (a thread-safe lock's owner takes it so, with checks of its own around it).
   */
  _takeAtOnce(): boolean {
    // Fair: jump the queue only if everyone in it has been cancelled.
    if (this.isLocked || !this.waiters.allCancelled()) return false;
    this.loop();
    this.isLocked = true;
    return true;
  }

  override toString(): string {
    return `<Lock [${this.isLocked ? "locked" : "unlocked"}${this.waiters.length ? `, waiters:${this.waiters.length}` : ""}]>`;
  }

  private wakeUpFirst(): void {
    const first = this.waiters.first();
    // A done waiter is already set to wake up.
    if (first !== undefined && !first.done()) first.setResult(true);
  }
}

watchMethod(Lock.prototype, "acquire"); // in debug mode: an acquire() never awaited is reported
