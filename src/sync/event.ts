import type { AwaitableCoro } from "../futures/awaitable.js";
import type { Future } from "../futures/future.js";
import { watchMethod } from "../futures/never-awaited.js";
import { type RetryPlan, WAIT, tryFirst } from "../futures/try-first.js";
import { LoopBound } from "../futures/loop-bound.js";
import { WaiterQueue } from "../futures/waiter-queue.js";

/**
 * A flag tasks can wait for, as asyncio's `Event`: `set()` wakes every waiter;
 * `wait()` on a set event returns without yielding.
 *
 * @example
 * ```ts
 * const ready = new Event();
 * createTask(function* () { yield* ready.wait(); console.log("go"); }());
 * ready.set();
 * ```
 */
export class Event extends LoopBound {
  private readonly waiters = new WaiterQueue<boolean>(this);
  private value = false;

  /** Whether the flag is set. */
  isSet(): boolean {
    return this.value;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    if (this.value) return;
    this.value = true;
    for (const waiter of this.waiters) if (!waiter.done()) waiter.setResult(true);
  }

  /** Clears the flag: later `wait()`s block until the next `set()`. */
  clear(): void {
    this.value = false;
  }

  /** Waits until the flag is set; returns `true`. Cancellable while it waits. */
  wait(): AwaitableCoro<boolean> {
    return tryFirst(this.waitPlan);
  }

  /** A set flag is seen at the first step, and a wait makes only its waiter (see tryFirst). */
  private readonly waitPlan: RetryPlan<boolean> = {
    attempt: () => (this.value ? true : WAIT),
    join: () => this.waiters.join(this.loop()),
    // Woken by set(): true even if cleared since, as asyncio's.
    woken: (waiter) => {
      this.waiters.remove(waiter as Future<boolean>);
      return true;
    },
    abandon: (waiter) => {
      this.waiters.remove(waiter as Future<boolean>);
    },
  };

  override toString(): string {
    return `<Event [${this.value ? "set" : "unset"}${this.waiters.length ? `, waiters:${this.waiters.length}` : ""}]>`;
  }
}

watchMethod(Event.prototype, "wait"); // in debug mode: a wait() never awaited is reported
