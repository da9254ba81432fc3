import type { Future } from "../futures/future.js";
import { type FutureSource, ensureFuture } from "./create-task.js";

/**
 * Protects an awaitable from cancellation: cancelling the returned future (or the
 * task waiting on it) does not cancel the inner one, which runs on.
 *
 * @example
 * ```ts
 * const saving = createTask(save(record));
 * try { yield* shield(saving); }
 * catch (e) { if (e instanceof CancelledError) { yield* saving; throw e; } } // finish saving, then honour the cancel
 * ```
 */
export function shield<T>(awaitable: FutureSource<T>): Future<T> {
  const inner = ensureFuture(awaitable);
  if (inner.done()) return inner;
  const outer = inner.getLoop().createFuture<T>();
  const onInnerDone = (done: Future<T>): void => {
    if (outer.cancelled()) {
      if (!done.cancelled()) done.exception(); // retrieved: nobody is left to hear of it
      return;
    }
    if (done.cancelled()) {
      outer.cancel();
      return;
    }
    const error = done.exception();
    if (error !== undefined) outer.setException(error);
    else outer.setResult(done.result());
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(() => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  });
  return outer;
}
