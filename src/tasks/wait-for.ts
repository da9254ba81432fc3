import { CancelledError, TimeoutError } from "../errors.js";
import { type Coro, isCoroutine } from "../futures/coroutine.js";
import type { Future } from "../futures/future.js";
import { type FutureSource, ensureFuture } from "./create-task.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import { Timeout, timeout } from "./timeout.js";
import { checkTimeout } from "../validate.js";

/**
 * Waits for `awaitable` for at most `ms` milliseconds (`null`: no limit). On
 * timeout it cancels the awaitable, waits until it has finished unwinding, and
 * throws `TimeoutError` (asyncio 3.12+). If the awaitable swallows the cancellation
 * and returns, that value is returned.
 *
 * @example
 * ```ts
 * try { const v = yield* waitFor(slowCoroutine(), 100); }
 * catch (e) { if (e instanceof TimeoutError) console.log("gave up"); }
 * ```
 */
export function waitFor<T>(aw: FutureSource<T>, ms: number | null): AwaitableCoro<T> {
  const limit = checkTimeout(ms, "waitFor");
  // asyncio 3.12+: a coroutine runs inside the waiting task, under a timeout scope
  // (the common case: the scope's run is the one generator between the caller and it).
  if (isCoroutine(aw) && (limit === null || limit > 0)) return Timeout._after(limit)._run(aw) as AwaitableCoro<T>;
  return waitForCoro(aw, limit) as AwaitableCoro<T>;
}

const waitForCoro = awaitable(function* waitForCoro<T>(aw: FutureSource<T>, ms: number | null): Coro<T> {
  const future = ensureFuture(aw);
  if (ms !== null && ms <= 0) {
    if (future.done()) return future.result();
    yield* cancelAndWait(future);
    try {
      return future.result();
    } catch (error) {
      if (error instanceof CancelledError) throw new TimeoutError(`Timed out: waitFor got a timeout of ${ms} ms`, { cause: error });
      throw error;
    }
  }
  return yield* timeout(ms, waitOn(future));
});

function* waitOn<T>(future: Future<T>): Coro<T> {
  return yield* future;
}

/** Cancels `future` and waits until it is done, without raising its outcome. */
export function* cancelAndWait(future: Future<unknown>): Coro<void> {
  const waiter = future.getLoop().createFuture<void>();
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  future.addDoneCallback(release);
  try {
    future.cancel();
    yield* waiter;
  } finally {
    future.removeDoneCallback(release);
  }
}
