import { describeValue } from "../errors.js";
import type { Future } from "./future.js";

/**
 * A coroutine: what a generator function returns. It waits with `yield*` on
 * futures, tasks and other coroutines, and returns `T`.
 *
 * @example
 * ```ts
 * function* fetchTwice(): Coro<number> {
 *   const a = yield* sleep(10, 1);
 *   const b = yield* sleep(10, 2);
 *   return a + b;
 * }
 * ```
 */
export type Coro<T = unknown> = Generator<Future<unknown> | undefined, T, unknown>;

/**
 * An async function a task can run: it gets an `AbortSignal` that aborts when the
 * task is cancelled (an async function cannot be interrupted at its `await`s).
 */
export type AsyncBody<T> = (signal: AbortSignal) => PromiseLike<T> | Coro<T>;

/** Anything that can be waited for: a future or task, a coroutine, or a promise. */
export type Awaitable<T = unknown> = Future<T> | Coro<T> | PromiseLike<T>;

/** What every generator object inherits its `next`, `throw` and `return` from. */
const GeneratorPrototype: object = Object.getPrototypeOf(function* () {}).prototype;
const isPrototypeOf = Object.prototype.isPrototypeOf;

/**
 * Whether `value` is a coroutine object (a started-or-not generator, not a
 * generator function), or a hand-written object with a generator's methods.
 *
 * @example
 * ```ts
 * isCoroutine(sleep(10)); // true
 * isCoroutine(sleep);     // false: a function, not yet called
 * ```
 */
export function isCoroutine(value: unknown): value is Coro<unknown> {
  // A generator is recognised by its prototype chain, without looking its methods
  // up: a generator from a closure made per task (`createTask((function* () {…})())`)
  // has a prototype never seen before, so each method lookup misses V8's caches
  // and costs a full lookup (most of such a task's cost, measured). Only other
  // objects are checked by their methods.
  return (
    isPrototypeOf.call(GeneratorPrototype, value as object) ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as Generator).next === "function" &&
      typeof (value as Generator).throw === "function" &&
      typeof (value as Generator)[Symbol.iterator] === "function")
  );
}

/** Whether `value` has a `then` method. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor;

/**
 * Explains why `value` is not something `what` can take, or returns `null` when
 * it is not one of the common mistakes (a generator function not called, an async
 * generator).
 */
export function explainCommonMistake(value: unknown, what: string): string | null {
  if (value instanceof GeneratorFunction) {
    const name = (value as { name: string }).name || "worker";
    return `${what} got the generator function ${name} itself; call it to make a coroutine: ${name}(...)`;
  }
  if (value instanceof AsyncGeneratorFunction || isAsyncIterator(value)) {
    return `${what} cannot run an async generator: it is an async iterable, not a coroutine; iterate it with for await inside a coroutine or an async function`;
  }
  if (typeof (value as PromiseLike<unknown> | null)?.then === "function") {
    // A task, a future (a worker call, a gather) or a promise: what the user wants is to wait on it.
    return `${what} got ${describeValue(value)}, which runs already: wait on it as it is (yield* or await); to make a promise a future, use ensureFuture(promise)`;
  }
  return null;
}

function isAsyncIterator(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function" && typeof (value as AsyncGenerator).next === "function";
}

/**
 * What waiting on `A` gives: the result type of a future, coroutine, promise or
 * async function.
 */
export type ResultOf<A> = A extends Generator<unknown, infer T, unknown>
  ? T
  : A extends PromiseLike<infer T>
    ? T
    : A extends (signal: AbortSignal) => PromiseLike<infer T>
      ? T
      : A extends (signal: AbortSignal) => Generator<unknown, infer T, unknown>
        ? T
        : never;
