import type { Coro } from "./coroutine.js";
import type { Task } from "./task.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { watchMethod, watchPrototype } from "./never-awaited.js";

/** A coroutine that async code can also `await`. */
export type AwaitableCoro<T> = Coro<T> & PromiseLike<T>;

const RUNNING_TASK = Symbol("asyncio-ts task awaiting this coroutine");

/**
 * @internal What `then` does for a coroutine: async code that awaits one runs it
 * as a task of its own on the running loop (once, however often `then` is called).
 */
export function runAsTask<T, R1 = T, R2 = never>(
  coro: Coro<T>,
  onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
  onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
): Promise<R1 | R2> {
  const running = coro as Coro<T> & { [RUNNING_TASK]?: Task<T> };
  const task = (running[RUNNING_TASK] ??= getRunningLoop().createTask(coro));
  return task.then(onFulfilled, onRejected);
}

/** `then` for coroutines (see `runAsTask`). */
function thenRunAsTask<T, R1 = T, R2 = never>(
  this: Coro<T>,
  onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
  onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
): Promise<R1 | R2> {
  return runAsTask(this, onFulfilled, onRejected);
}

function installOnPrototype(generatorFunction: (...args: never[]) => unknown): void {
  const prototype = (generatorFunction as unknown as { prototype: object }).prototype;
  Object.defineProperty(prototype, "then", { value: thenRunAsTask, writable: true, configurable: true });
  watchPrototype(prototype);
}

/**
 * Makes every coroutine that `generatorFunction` creates awaitable from async code,
 * by giving its generators' prototype a `then`. In a coroutine, `yield*` runs it in
 * the current task (so cancellation reaches it exactly); `await` runs it as a task
 * of its own. Costs nothing per call: no wrapper object is allocated.
 *
 * @example
 * ```ts
 * const tick = awaitable(function* (ms: number): Coro<number> { yield* sleep(ms); return ms; });
 * function* inCoroutine(): Coro<void> { yield* tick(10); }
 * async function inAsyncCode() { await tick(10); }
 * ```
 */
export function awaitable<A extends unknown[], T>(generatorFunction: (...args: A) => Coro<T>): (...args: A) => AwaitableCoro<T> {
  installOnPrototype(generatorFunction as (...args: never[]) => unknown);
  return generatorFunction as (...args: A) => AwaitableCoro<T>;
}

/**
 * @internal Like `awaitable`, for a class whose objects are coroutines written by
 * hand (`next`, `throw`, `return` and `[Symbol.iterator]` as a generator has them).
 */
export function makeCoroutineClassAwaitable(coroutineClass: abstract new (...args: never[]) => object): void {
  installOnPrototype(coroutineClass as unknown as (...args: never[]) => unknown);
}

/**
 * Like `awaitable`, for a generator method of a class: installs `then` on the
 * prototype of the generators it makes.
 */
export function makeMethodAwaitable(prototype: object, methodName: string): void {
  installOnPrototype((prototype as Record<string, (...args: never[]) => unknown>)[methodName]!);
  watchMethod(prototype, methodName);
}
