import { describeValue } from "../errors.js";
import { type Awaitable, explainCommonMistake, isCoroutine, isPromiseLike } from "../futures/coroutine.js";
import { Future } from "../futures/future.js";
import { futureFromPromise } from "../futures/future-from-promise.js";
import type { Task, TaskBody, TaskOptions } from "../futures/task.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";

/**
 * Schedules a coroutine (or an async function taking an `AbortSignal`) as a task
 * on the running loop. The task starts on the next iteration unless `eager`.
 *
 * @example
 * ```ts
 * function* main(): Coro<number> {
 *   const a = createTask(sleep(20, 1));
 *   const b = createTask((signal) => fetch(url, { signal }).then((r) => r.status));
 *   return (yield* a) + (yield* b);
 * }
 * ```
 */
export function createTask<T>(body: TaskBody<T>, options?: TaskOptions): Task<T> {
  return getRunningLoop().createTask(body, options);
}

/** What `ensureFuture` and the functions built on it accept. */
export type FutureSource<T> = Awaitable<T> | ((signal: AbortSignal) => PromiseLike<T>);

/**
 * Turns any awaitable into a future on the loop: a future is returned as is, a
 * coroutine (or an async function taking an `AbortSignal`) becomes a task, a
 * promise is wrapped. Coroutines wait on promises through it:
 * `yield* ensureFuture(fetch(url))`.
 *
 * @example
 * ```ts
 * const response = yield* ensureFuture(fetch(url));
 * ```
 */
export function ensureFuture<T>(awaitable: FutureSource<T>, loop?: EventLoop): Future<T> {
  if (awaitable instanceof Future) return awaitable;
  if (isCoroutine(awaitable) || (typeof awaitable === "function" && explainCommonMistake(awaitable, "") === null)) {
    return (loop ?? getRunningLoop()).createTask(awaitable as TaskBody<T>);
  }
  if (isPromiseLike(awaitable)) return futureFromPromise(awaitable as PromiseLike<T>, loop ?? getRunningLoop());
  throw new TypeError(
    explainCommonMistake(awaitable, "ensureFuture") ??
      `An awaitable was expected (a Future, a coroutine, a promise or an async function), got ${describeValue(awaitable)}`,
  );
}
