import { describeValue } from "../errors.js";
import type { Coro } from "../futures/coroutine.js";
import type { Future } from "../futures/future.js";
import { LabelledFuture } from "../futures/labelled-future.js";
import { noteWaitPoint } from "../futures/future.js";
import { watchUnstarted } from "../futures/never-awaited.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { debugEverOn } from "../loop/event-loop.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";

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

function* yieldOnceCoro<T>(value: T): Coro<T> {
  if (debugEverOn) {
    const loop = getRunningLoop();
    if (loop._debug) noteWaitPoint(loop, yieldOnceCoro);
  }
  yield;
  return value;
}
const yieldOnce = awaitable(yieldOnceCoro);

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
