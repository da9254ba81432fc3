import { describeValue } from "../errors.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import { type Coro, isCoroutine, isPromiseLike } from "../futures/coroutine.js";
import { futureFromPromise } from "../futures/future-from-promise.js";
import { getRunningLoop } from "../loop/running-loop.js";

/** What `withLock` and guards work with: `Lock`, `Semaphore`, `BoundedSemaphore`, `Condition`. */
export interface Acquirable {
  /** Waits until it is held. */
  acquire(): AwaitableCoro<boolean>;
  /** Lets it go. */
  release(): void;
}

/**
 * Proof of an acquisition: `release()` (or leaving a `using` block) releases it,
 * once — a second release does nothing, so an explicit release plus the `using`
 * block's dispose never releases someone else's acquisition.
 *
 * @example
 * ```ts
 * function* critical(lock: Lock): Coro<void> {
 *   using _held = yield* lock.hold();   // released on return, throw or cancellation
 *   yield* doWork();
 * }
 * ```
 */
export class Guard implements Disposable {
  private held = true;

  constructor(private readonly acquired: Acquirable) {}

  /** Releases the acquisition (once). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.acquired.release();
  }

  /** Whether it still holds the acquisition. */
  get holding(): boolean {
    return this.held;
  }

  /** `using`: releases at the end of the block. */
  [Symbol.dispose](): void {
    this.release();
  }
}

/** @internal `lock.hold()`: acquire, then hand out a guard. */
export const holdGuard = awaitable(function* holdGuard(acquirable: Acquirable): Coro<Guard> {
  yield* acquirable.acquire();
  return new Guard(acquirable);
});

/**
 * Runs `body` while holding `acquirable` and releases it on every exit path:
 * return, throw, and cancellation (asyncio's `async with lock:`). The body may be a
 * generator function or an async function; `await withLock(...)` works from async
 * code.
 *
 * @example
 * ```ts
 * const total = yield* withLock(lock, function* () {
 *   const value = yield* readBalance();
 *   yield* writeBalance(value + 10);
 *   return value + 10;
 * });
 * await withLock(lock, async () => { await save(); });
 * ```
 */
export function withLock<T>(acquirable: Acquirable, body: () => Coro<T> | PromiseLike<T>): AwaitableCoro<T> {
  if (typeof acquirable?.acquire !== "function" || typeof acquirable.release !== "function") {
    throw new TypeError(`withLock expects a Lock, Semaphore or Condition, got ${describeValue(acquirable)}`);
  }
  if (typeof body !== "function") {
    throw new TypeError(`withLock expects a function to run while holding the lock, got ${describeValue(body)}`);
  }
  return runHolding(acquirable, body);
}

const runHolding = awaitable(function* runHolding<T>(acquirable: Acquirable, body: () => Coro<T> | PromiseLike<T>): Coro<T> {
  yield* acquirable.acquire();
  try {
    const work = body();
    if (isCoroutine(work)) return yield* work;
    if (isPromiseLike(work)) return yield* futureFromPromise(work, getRunningLoop());
    return work as T;
  } finally {
    acquirable.release();
  }
});
