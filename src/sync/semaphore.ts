import { ValueError } from "../errors.js";
import type { AwaitableCoro } from "../futures/awaitable.js";
import { watchMethod } from "../futures/never-awaited.js";
import { type RetryPlan, WAIT, tryFirst } from "../futures/try-first.js";
import type { Future } from "../futures/future.js";
import { type Guard, holdGuard } from "./hold.js";
import { LoopBound } from "../futures/loop-bound.js";
import { WaiterQueue } from "../futures/waiter-queue.js";
import { checkInteger } from "../validate.js";

/**
 * A counter of permits, as asyncio's `Semaphore`: `acquire()` takes one (waiting
 * while there are none), `release()` gives one back. Strict FIFO: a newcomer waits
 * behind earlier waiters even when a permit is free, and a waiter cancelled after
 * it was given a permit hands it on.
 *
 * @example
 * ```ts
 * const slots = new Semaphore(3); // at most three downloads at once
 * function* download(url: string): Coro<Response> {
 *   return yield* withLock(slots, () => ensureFuture(fetch(url)));
 * }
 * ```
 */
export class Semaphore extends LoopBound {
  private readonly waiters = new WaiterQueue<boolean>(this);
  /** @internal */ protected value: number;

  constructor(value = 1) {
    super();
    this.value = checkInteger(value, "Semaphore initial value (permits)", 0);
  }

  /** Whether `acquire()` would have to wait (no permit, or earlier waiters queued). */
  locked(): boolean {
    return this.value === 0 || !this.waiters.allCancelled();
  }

  /** Takes a permit, waiting for one if needed. Returns `true`. */
  acquire(): AwaitableCoro<boolean> {
    return tryFirst(this.acquirePlan);
  }

  /** A permit free at once is taken at the first step, and a wait makes only its waiter (see tryFirst). */
  private readonly acquirePlan: RetryPlan<boolean> = {
    attempt: () => {
      if (this.locked()) return WAIT;
      this.loop();
      this.value--;
      return true;
    },
    join: () => this.waiters.join(this.loop()),
    // Woken with a permit (wakeUpNext took it for this waiter).
    woken: (waiter) => {
      this.leaveWaiters(waiter as Future<boolean>);
      return true;
    },
    abandon: (waiter) => {
      // Given a permit, then cancelled before taking it: give it back.
      if (waiter.done() && !waiter.cancelled()) this.value++;
      this.leaveWaiters(waiter as Future<boolean>);
    },
  };

  /** Takes a permit and returns a `Guard` that gives it back (for `using`). */
  hold(): AwaitableCoro<Guard> {
    return holdGuard(this);
  }

  /** Gives a permit back and wakes the next waiter. */
  release(): void {
    this.value++;
    this.wakeUpNext();
  }

  override toString(): string {
    return `<${this.constructor.name} [${this.locked() ? "locked" : `unlocked, value:${this.value}`}${this.waiters.length ? `, waiters:${this.waiters.length}` : ""}]>`;
  }

  private leaveWaiters(waiter: Future<boolean>): void {
    this.waiters.remove(waiter);
    // Waiters that arrived meanwhile had to queue behind this one: wake as many as
    // there are permits.
    while (this.value > 0 && this.wakeUpNext());
  }

  /** Gives a permit to the first waiter not yet woken; returns whether there was one. */
  private wakeUpNext(): boolean {
    const waiter = this.waiters.firstPending();
    if (waiter === undefined) return false;
    this.value--;
    waiter.setResult(true);
    return true;
  }
}

watchMethod(Semaphore.prototype, "acquire"); // in debug mode: an acquire() never awaited is reported

/**
 * A `Semaphore` that refuses to be released more often than acquired:
 * `ValueError` on a release beyond its initial value.
 *
 * @example
 * ```ts
 * const pool = new BoundedSemaphore(2);
 * pool.release(); // ValueError: released too many times
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  private readonly bound: number;

  constructor(value = 1) {
    super(value);
    this.bound = value;
  }

  override release(): void {
    if (this.value >= this.bound) {
      throw new ValueError(`BoundedSemaphore released too many times: it has only ${this.bound} permit(s); release once per acquire.`);
    }
    super.release();
  }
}
