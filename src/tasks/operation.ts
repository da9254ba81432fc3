import type { Coro } from "../futures/coroutine.js";
import type { Task } from "../futures/task.js";
import { getRunningLoop } from "../loop/running-loop.js";

/**
 * A coroutine that async code can also `await`: what `sleep`, `waitFor`, `wait`,
 * `timeout` and `TaskGroup.run` return. In a coroutine, `yield*` runs it in the
 * current task (so cancellation reaches it exactly); `await` runs it as a task of
 * its own on the running loop. Either way it runs once.
 *
 * @example
 * ```ts
 * function* inCoroutine(): Coro<void> { yield* sleep(10); }
 * async function inAsyncCode() { await sleep(10); }
 * ```
 */
export class Operation<T> implements PromiseLike<T> {
  private generator: Coro<T> | null = null;
  private task: Task<T> | null = null;

  constructor(private readonly start: () => Coro<T>) {}

  next(value?: unknown): IteratorResult<any, T> {
    return this.coroutine().next(value);
  }

  throw(error: unknown): IteratorResult<any, T> {
    return this.coroutine().throw(error);
  }

  return(value: T): IteratorResult<any, T> {
    return this.coroutine().return(value);
  }

  [Symbol.iterator](): Coro<T> {
    return this as unknown as Coro<T>;
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.task ??= getRunningLoop().createTask(this.coroutine());
    return this.task.then(onFulfilled, onRejected);
  }

  private coroutine(): Coro<T> {
    return (this.generator ??= this.start());
  }
}

/** A coroutine usable with both `yield*` and `await`. */
export type AwaitableCoro<T> = Coro<T> & PromiseLike<T>;

/** Wraps a coroutine factory into an `AwaitableCoro`. */
export function operation<T>(start: () => Coro<T>): AwaitableCoro<T> {
  return new Operation(start) as unknown as AwaitableCoro<T>;
}
