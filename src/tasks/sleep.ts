import { describeValue } from "../errors.js";
import type { Coro } from "../futures/coroutine.js";
import type { Future } from "../futures/future.js";
import { LabelledFuture } from "../futures/labelled-future.js";
import { noteWaitPoint } from "../futures/future.js";
import { watchUnstarted } from "../futures/never-awaited.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { debugEverOn } from "../loop/event-loop.js";
import { type AwaitableCoro, awaitable, makeCoroutineClassAwaitable } from "../futures/awaitable.js";

/**
 * Waits `ms` milliseconds, then returns `value`. `sleep(0)` gives up the rest of
 * this loop iteration, letting other ready tasks run (asyncio's bare yield).
 * Cancelling the sleeper stops its timer.
 *
 * @example
 * ```ts
 * const v = yield* sleep(100, "done"); // in a coroutine
 * await sleep(100);                    // in async code
 * ```
 */
export function sleep(ms: number): AwaitableCoro<undefined>;
export function sleep<T>(ms: number, value: T): AwaitableCoro<T>;
export function sleep<T>(ms: number, value?: T): AwaitableCoro<T | undefined> {
  if (typeof ms !== "number" || Number.isNaN(ms)) {
    throw new TypeError(`sleep expects a delay in milliseconds, got ${describeValue(ms)}`);
  }
  const coro = ms <= 0 ? yieldOnce(value) : sleepFor(ms, value);
  return debugEverOn ? watchUnstarted(coro, "sleep", sleep) : coro;
}

const SUSPENDED: IteratorResult<undefined, never> = Object.freeze({ done: false, value: undefined });
const RETURNED_NOTHING: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

/**
 * `sleep(0)`: a coroutine that yields once (the task steps again in the next
 * iteration), then returns its value. Written by hand, as a generator's three
 * methods, because it is the most frequent coroutine of all: a generator object
 * and its second result object per switch were about a sixth of a `sleep(0)`
 * switch's cost (same-process A/B: 0.84-0.88x).
 */
class YieldOnce<T> {
  private state: "new" | "suspended" | "done" = "new";
  constructor(private readonly value: T) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<undefined, T> {
    if (this.state === "new") {
      this.state = "suspended";
      if (debugEverOn) {
        const loop = getRunningLoop();
        if (loop._debug) noteWaitPoint(loop, YieldOnce.prototype.next);
      }
      return SUSPENDED;
    }
    const value = this.state === "suspended" ? this.value : undefined;
    this.state = "done";
    return value === undefined ? (RETURNED_NOTHING as IteratorResult<undefined, T>) : { done: true, value };
  }

  // As a generator with no try block: what is thrown in at the yield goes on up.
  throw(error: unknown): never {
    this.state = "done";
    throw error;
  }

  return(value: T): IteratorResult<undefined, T> {
    this.state = "done";
    return { done: true, value };
  }
}
makeCoroutineClassAwaitable(YieldOnce);

function yieldOnce<T>(value: T): AwaitableCoro<T> {
  return new YieldOnce(value) as unknown as AwaitableCoro<T>;
}

const sleepFor = awaitable(function* sleepFor<T>(ms: number, value: T): Coro<T> {
  const loop = getRunningLoop();
  const future = new LabelledFuture<T>(loop, "sleep", `${ms} ms`);
  const timer = loop.callLater(ms, resolveUnlessDone<T>, future, value);
  try {
    return yield* future;
  } finally {
    timer.cancel();
  }
});

function resolveUnlessDone<T>(future: Future<T>, value: T): void {
  if (!future.done()) future.setResult(value);
}
