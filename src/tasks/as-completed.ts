import { TimeoutError, describeValue } from "../errors.js";
import { type Coro, isCoroutine } from "../futures/coroutine.js";
import { Future } from "../futures/future.js";
import type { TimerHandle } from "../loop/handles.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { type FutureSource, ensureFuture } from "./create-task.js";
import { checkTimeout } from "../validate.js";

/** Options of `asCompleted`. */
export interface AsCompletedOptions {
  /** After this many ms, every wait still outstanding throws `TimeoutError`. */
  timeout?: number | null;
}

/** Marks the timeout in the queue of finished futures. */
const TIMED_OUT = Symbol("timed out");

/**
 * What `asCompleted` returns, in both of asyncio 3.13's forms:
 * - `for (const next of it)` gives one coroutine per input; `yield* next` waits for
 *   the next one to finish and returns its result (or throws its error);
 * - `for await (const future of it)` gives the futures themselves as they finish
 *   (the tasks and futures you passed in, others wrapped).
 */
export class AsCompletedIterator<T> implements Iterable<Coro<T>>, AsyncIterable<Future<T>> {
  private readonly finished: Array<Future<T> | typeof TIMED_OUT> = [];
  private readonly todo: Set<Future<T>>;
  private left: number;
  private readonly waiters: Future<void>[] = [];
  private timer: TimerHandle | null = null;

  /** @internal Use `asCompleted()`. */
  constructor(awaitables: Iterable<FutureSource<T>>, timeout: number | null) {
    const loop = getRunningLoop();
    this.todo = new Set([...new Set(awaitables)].map((awaitable) => ensureFuture(awaitable, loop)));
    this.left = this.todo.size;
    for (const future of this.todo) future.addDoneCallback(this.onCompletion);
    if (this.todo.size > 0 && timeout !== null) this.timer = loop.callLater(timeout, this.onTimeout);
  }

  /** `for (const next of asCompleted(...))`: each step an awaitable of the next result to finish. */
  *[Symbol.iterator](): Iterator<Coro<T>> {
    while (this.left > 0) {
      this.left--;
      yield this.nextFinished(true) as Coro<T>;
    }
  }

  /** `for await (const task of asCompleted(...))`: each step the next future to finish. */
  [Symbol.asyncIterator](): AsyncIterator<Future<T>> {
    return {
      next: async (): Promise<IteratorResult<Future<T>>> => {
        if (this.left === 0) return { done: true, value: undefined };
        this.left--;
        // Boxed: a future is thenable, so resolving a promise with it would unwrap it.
        const [future] = await getRunningLoop().createTask(this.nextBoxed());
        return { done: false, value: future };
      },
    };
  }

  private *nextBoxed(): Coro<[Future<T>]> {
    return [(yield* this.nextFinished(false)) as Future<T>];
  }

  private *nextFinished(resolve: boolean): Coro<T | Future<T>> {
    while (this.finished.length === 0) {
      const waiter = getRunningLoop().createFuture<void>();
      this.waiters.push(waiter);
      try {
        yield* waiter;
      } catch (error) {
        // Cancelled. Woken first (its waiter has a result), it passes the wake-up on;
        // never woken, it wakes nobody, so the waiters behind keep their places (as
        // asyncio's Queue.get, which its iterator waits in).
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        if (waiter.done() && !waiter.cancelled() && this.finished.length > 0) this.wakeOne();
        throw error;
      }
    }
    const next = this.finished.shift()!;
    if (next === TIMED_OUT) throw new TimeoutError("Timed out: asCompleted's timeout passed before every awaitable finished");
    return resolve ? next.result() : next;
  }

  private push(item: Future<T> | typeof TIMED_OUT): void {
    this.finished.push(item);
    this.wakeOne();
  }

  private wakeOne(): void {
    while (this.waiters.length > 0) {
      const waiter = this.waiters.shift()!;
      if (!waiter.done()) {
        waiter.setResult(undefined);
        return;
      }
    }
  }

  private readonly onCompletion = (future: Future<T>): void => {
    if (!this.todo.delete(future)) return; // the timeout came first
    this.push(future);
    if (this.todo.size === 0) this.timer?.cancel();
  };

  private readonly onTimeout = (): void => {
    for (const future of this.todo) {
      future.removeDoneCallback(this.onCompletion);
      this.push(TIMED_OUT);
    }
    this.todo.clear();
  };
}

/**
 * Yields awaitables in the order they finish.
 *
 * @example
 * ```ts
 * for (const next of asCompleted([fetchA(), fetchB()], { timeout: 1000 })) {
 *   const first = yield* next; // the earliest result first
 * }
 * // in async code
 * for await (const task of asCompleted(tasks)) console.log(task.result());
 * ```
 */
export function asCompleted<T>(awaitables: Iterable<FutureSource<T>>, options: AsCompletedOptions = {}): AsCompletedIterator<T> {
  if (awaitables instanceof Future || isCoroutine(awaitables) || typeof (awaitables as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
    throw new TypeError(`asCompleted expects an iterable of awaitables, got ${describeValue(awaitables)}`);
  }
  return new AsCompletedIterator(awaitables, checkTimeout(options.timeout, "asCompleted option timeout"));
}
