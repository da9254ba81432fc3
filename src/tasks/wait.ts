import { ValueError, describeValue } from "../errors.js";
import { type Coro, isCoroutine } from "../futures/coroutine.js";
import { Future } from "../futures/future.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { ensureFuture } from "./create-task.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import { checkTimeout } from "../validate.js";

/** `wait` returns when any future finishes. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** `wait` returns when any future fails, or all finish. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** `wait` returns when all futures finish (the default). */
export const ALL_COMPLETED = "ALL_COMPLETED";
/** When `wait()` returns: `FIRST_COMPLETED`, `FIRST_EXCEPTION` or `ALL_COMPLETED`. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of `wait`. */
export interface WaitOptions {
  /** Stop waiting after this many ms; what is unfinished is returned as pending (no error). */
  timeout?: number | null;
  /** When to return; `ALL_COMPLETED` by default. */
  returnWhen?: ReturnWhen;
}

/**
 * Waits for futures (or promises) until `returnWhen` holds or `timeout` passes, and
 * returns `[done, pending]`. It never cancels and never throws what the futures
 * throw. Coroutines are refused, as in asyncio: wrap them in `createTask` so you
 * hold the tasks it returns.
 *
 * @example
 * ```ts
 * const [done, pending] = yield* wait([a, b, c], { returnWhen: FIRST_COMPLETED, timeout: 500 });
 * for (const t of pending) t.cancel();
 * ```
 */
export function wait<T>(futures: Iterable<Future<T> | PromiseLike<T>>, options: WaitOptions = {}): AwaitableCoro<[Set<Future<T>>, Set<Future<T>>]> {
  const { returnWhen = ALL_COMPLETED } = options;
  const timeout = checkTimeout(options.timeout, "wait option timeout");
  if (futures instanceof Future || isCoroutine(futures) || futures === null || typeof (futures as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
    throw new TypeError(`wait expects an iterable of futures or tasks, got ${describeValue(futures)}`);
  }
  if (returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED) {
    throw new ValueError(`Invalid returnWhen value: ${describeValue(returnWhen)}; use FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED`);
  }
  const items = [...new Set(futures)];
  if (items.length === 0) throw new ValueError("wait() needs at least one future; the set of futures is empty.");
  for (const item of items) {
    if (isCoroutine(item)) throw new TypeError("Passing coroutines to wait() is forbidden: wrap each in createTask() and keep the tasks.");
    if (!(item instanceof Future) && typeof (item as PromiseLike<T>)?.then !== "function") {
      throw new TypeError(`wait expects futures, tasks or promises, got ${describeValue(item)}`);
    }
  }
  return waitCoro(items, timeout, returnWhen) as AwaitableCoro<[Set<Future<T>>, Set<Future<T>>]>;
}

const waitCoro = awaitable(function* waitCoro<T>(items: Array<Future<T> | PromiseLike<T>>, timeout: number | null, returnWhen: ReturnWhen): Coro<[Set<Future<T>>, Set<Future<T>>]> {
  const loop = getRunningLoop();
  const futures = items.map((item) => ensureFuture(item));
  const waiter = loop.createFuture<void>();
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  const timer = timeout === null ? null : loop.callLater(timeout, release);
  let unfinished = futures.length;
  const onCompletion = (future: Future<T>): void => {
    unfinished--;
    if (
      unfinished <= 0 ||
      returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !future.cancelled() && future.exception() !== undefined)
    ) {
      timer?.cancel();
      release();
    }
  };
  for (const future of futures) future.addDoneCallback(onCompletion);
  try {
    yield* waiter;
  } finally {
    timer?.cancel();
    for (const future of futures) future.removeDoneCallback(onCompletion);
  }
  const done = new Set<Future<T>>();
  const pending = new Set<Future<T>>();
  for (const future of futures) (future.done() ? done : pending).add(future);
  return [done, pending];
});
