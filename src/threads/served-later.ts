import { cancelledError } from "../futures/future.js";
import { SETTLED_FROM_OUTSIDE, Task } from "../futures/task.js";
import type { EventLoop } from "../loop/event-loop.js";

/**
 * @internal The answer to a served call, given later by this thread without a
 * coroutine: a function served on a connection returns one (a thread-safe
 * queue's owner serving another thread's get), settles it when the answer is
 * known, and the call is answered in that very step. A coroutine waiting for the
 * same thing would answer only when its task next steps, a loop iteration later:
 * on a thread woken from idle that was most of what the owner added to a get's
 * one-way latency (measured in bench/threadsafe.bench.ts).
 *
 * Cancelling the call runs `withdraw` (the wait must let go of what it would
 * have taken) and ends it cancelled at once: nothing of it is left to unwind.
 */
export class ServedLater<T> extends Task<T> {
  /** What `cancel()` runs before the call ends cancelled; set once the wait is made. */
  withdraw: () => void = () => {};

  /** The connection that serves it names it as it names a served task. */
  constructor(loop: EventLoop) {
    // The public constructor signature does not show the internal body marker.
    super(SETTLED_FROM_OUTSIDE as never, loop);
  }

  /** The answer is `value` (ignored once the call has ended). */
  resolve(value: T): void {
    if (!this.done()) this._finishWithResult(value);
  }

  /** The call fails with `error` (ignored once the call has ended). */
  reject(error: unknown): void {
    if (!this.done()) this._finishWithError(error);
  }

  override cancel(message?: string): boolean {
    if (this.done()) return false;
    this._countCancelRequest(message);
    this.withdraw();
    this.reject(cancelledError(message ?? ""));
    return true;
  }
}
