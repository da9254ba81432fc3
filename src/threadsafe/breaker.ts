import type { Coro } from "../futures/coroutine.js";
import type { Future } from "../futures/future.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { FIRST_COMPLETED, wait } from "../tasks/wait.js";

/**
 * A condition that, once met, fails waits that would otherwise never end: a
 * `join()` whose items a dead thread took, an `acquire()` of a lock whose holder
 * died. Single-thread primitives know nothing of threads dying; a wait on them is
 * run under a breaker, which ends it with the breaker's error when that comes
 * first.
 */
export class Breaker {
  private failure: Error | null = null;
  private readonly waiters = new Set<Future<void>>();

  /** The error waits fail with, or `null` while intact. */
  get error(): Error | null {
    return this.failure;
  }

  /** Fails every wait under this breaker, now and until `mend()`. */
  break(error: Error): void {
    this.failure = error;
    for (const waiter of this.waiters) if (!waiter.done()) waiter.setResult();
  }

  /** Waits under this breaker succeed again. */
  mend(): void {
    this.failure = null;
  }

  /**
   * Runs `body` (a wait on a single-thread primitive) and returns its result, unless
   * the breaker breaks first: then `body` is cancelled — the primitives are safe
   * under cancellation — and the breaker's error is thrown. If `body` got what it
   * waited for but its result cannot be returned (this wait was cancelled in the
   * same turn), `undo` gives it back, so that nothing is held by nobody.
   */
  *guard<T>(body: Coro<T>, undo?: (result: T) => void): Coro<T> {
    if (this.failure !== null) throw this.failure;
    const loop = getRunningLoop();
    const task = loop.createTask(body, { eager: true });
    if (task.done()) return task.result(); // it did not have to wait
    const broken = loop.createFuture<void>();
    this.waiters.add(broken);
    let returned = false;
    try {
      yield* wait([task as Future<unknown>, broken as Future<unknown>], { returnWhen: FIRST_COMPLETED });
      if (task.done()) {
        returned = true;
        return task.result();
      }
    } finally {
      this.waiters.delete(broken);
      broken.cancel();
      if (!task.done()) task.cancel();
      else if (!returned && !task.cancelled() && task.exception() === undefined) undo?.(task.result());
    }
    throw this.failure!;
  }
}
