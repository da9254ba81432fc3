import { describeValue } from "../errors.js";
import type { Future } from "../futures/future.js";
import { LabelledFuture } from "../futures/labelled-future.js";
import { noteWaitPoint } from "../futures/future.js";
import { watchUnstarted } from "../futures/never-awaited.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { debugEverOn } from "../loop/event-loop.js";
import type { TimerHandle } from "../loop/handles.js";
import { type AwaitableCoro, makeCoroutineClassAwaitable } from "../futures/awaitable.js";

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

const NEW = 0;
const WAITING = 1;
const DONE = 2;

/**
 * `sleep(ms)` for `ms > 0`, written by hand for the reasons of `YieldOnce` and one
 * more: a cancelled sleep's `CancelledError` is thrown once, here, where the
 * generator it replaces threw it twice (from the future's iterator, then again
 * from its `finally`). In V8 a throw that leaves a frame costs 0.5-0.8 µs on the
 * test machine, as much as the rest of a cancellation. It stands for:
 *
 * ```ts
 * const future = new LabelledFuture<T>(loop, "sleep", `${ms} ms`);
 * const timer = loop.callLater(ms, resolveUnlessDone, future, value);
 * try { return yield* future; } finally { timer.cancel(); }
 * ```
 */
class SleepFor<T> {
  private state: typeof NEW | typeof WAITING | typeof DONE = NEW;
  private future: LabelledFuture<T> | null = null;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly ms: number,
    private readonly value: T,
  ) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Future<T>, T> {
    if (this.state === NEW) {
      this.state = DONE; // until the timer is armed: a first step that throws ends it, as a generator's does
      const loop = getRunningLoop();
      const future = new LabelledFuture<T>(loop, "sleep", `${this.ms} ms`);
      this.timer = loop.callLater(this.ms, resolveUnlessDone<T>, future, this.value);
      this.future = future;
      this.state = WAITING;
      if (loop._debug) noteWaitPoint(loop, SleepFor.prototype.next);
      return { done: false, value: future };
    }
    if (this.state === DONE) return { done: true, value: undefined as T };
    const future = this.future!;
    this.finish();
    // What `yield* future` gives when resumed: its result, or its error thrown.
    return { done: true, value: future.result() };
  }

  throw(error: unknown): never {
    this.finish();
    throw error;
  }

  return(value: T): IteratorResult<Future<T>, T> {
    this.finish();
    return { done: true, value };
  }

  /** The `finally`: the timer is cancelled however the sleep ends. */
  private finish(): void {
    this.state = DONE;
    this.timer?.cancel();
    this.timer = null;
    this.future = null;
  }
}
makeCoroutineClassAwaitable(SleepFor);

function sleepFor<T>(ms: number, value: T): AwaitableCoro<T> {
  return new SleepFor(ms, value) as unknown as AwaitableCoro<T>;
}

function resolveUnlessDone<T>(future: Future<T>, value: T): void {
  if (!future.done()) future.setResult(value);
}
