import { CancelledError, RuntimeError, TimeoutError, describeValue } from "../errors.js";
import { type Coro, isCoroutine } from "../futures/coroutine.js";
import { currentTask } from "../futures/current-task.js";
import type { Task } from "../futures/task.js";
import type { Handle } from "../loop/handles.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import { checkTimeout } from "../validate.js";

type TimeoutState = "created" | "entered" | "expiring" | "expired" | "exited";

/** The body of a timeout scope: a generator function that receives the scope, or a coroutine. */
export type TimeoutBody<T> = ((scope: Timeout) => Coro<T>) | Coro<T>;

/**
 * A deadline over a piece of a coroutine, as asyncio's `Timeout` (what
 * `timeout()`/`timeoutAt()` hand their body). When it passes, the current task is
 * cancelled; the scope turns that — and only that — cancellation into
 * `TimeoutError`. Nested scopes and task groups compose through `uncancel()`.
 *
 * @example
 * ```ts
 * yield* timeout(1000, function* (scope) {
 *   yield* slowStep();
 *   scope.reschedule(scope.when()! + 500); // give the next step more time
 *   yield* slowStep();
 * });
 * ```
 */
export class Timeout {
  private state: TimeoutState = "created";
  private handle: Handle | null = null;
  private task: Task<unknown> | null = null;
  private cancellingOnEnter = 0;
  /** For `timeout(ms)` and `waitFor`: the deadline is this many ms after the scope is entered. */
  private delay: number | null = null;

  /** A scope with deadline `when` (loop time, ms), or none with `null`. */
  constructor(private deadline: number | null) {}

  /** @internal A scope whose deadline is `delay` ms (checked already; `null`: none) after it is entered. */
  static _after(delay: number | null): Timeout {
    const scope = new Timeout(null);
    scope.delay = delay;
    return scope;
  }

  /** The deadline in loop time (ms), or `null` for none. */
  when(): number | null {
    return this.deadline;
  }

  /**
   * Moves the deadline to `when` (loop time, ms; `null` removes it). Only while the
   * scope is entered (asyncio 3.13): before, and once it is expiring, expired or
   * exited, `RuntimeError` says which.
   */
  reschedule(when: number | null): void {
    if (this.state === "created") throw new RuntimeError("Timeout has not been entered: reschedule() works inside the scope's body.");
    if (this.state !== "entered") throw new RuntimeError(`Cannot change state of ${this.state} Timeout: create a new scope instead.`);
    this.setDeadline(when);
  }

  private setDeadline(when: number | null): void {
    this.handle?.cancel();
    this.handle = null;
    if (when === null) this.deadline = null;
    else this.arm(getRunningLoop(), when, null);
  }

  /** Arms the deadline `when`; `now` if the caller has just read the clock (one read, not two). */
  private arm(loop: EventLoop, when: number, now: number | null): void {
    this.deadline = when;
    this.handle = when <= (now ?? loop.time()) ? loop.callSoon(this.onDeadline) : loop.callAt(when, this.onDeadline);
  }

  /** Whether the deadline passed and the scope cancelled its task. */
  expired(): boolean {
    return this.state === "expiring" || this.state === "expired";
  }

  /** @internal */
  *_run<T>(body: TimeoutBody<T>): Coro<T> {
    this.enter();
    let result: T;
    try {
      result = yield* (isCoroutine(body) ? body : body(this));
    } catch (error) {
      throw this.exit(true, error);
    }
    this.exit(false, undefined);
    return result;
  }

  /** A short description for logs. */
  toString(): string {
    return `<Timeout ${this.state} when=${this.deadline}>`;
  }

  private enter(): void {
    if (this.state !== "created") throw new RuntimeError("A Timeout scope can be entered only once.");
    const task = currentTask();
    if (task === null) throw new RuntimeError("timeout() must be used inside a task (a coroutine run by run() or createTask()).");
    this.task = task;
    this.cancellingOnEnter = task.cancelling();
    this.state = "entered";
    if (this.delay === null) {
      this.setDeadline(this.deadline);
    } else {
      const loop = getRunningLoop();
      const now = loop.time();
      this.arm(loop, now + this.delay, now);
    }
  }

  /** Returns the error to throw out of the scope (asyncio's `__aexit__`). */
  private exit(failed: boolean, error: unknown): unknown {
    this.handle?.cancel();
    this.handle = null;
    if (this.state === "expiring") {
      this.state = "expired";
      // Only if no one else asked to cancel the task meanwhile is the cancellation ours.
      if (this.task!.uncancel() <= this.cancellingOnEnter && failed && error instanceof CancelledError) {
        return new TimeoutError(`Timed out: the deadline (loop time ${this.deadline} ms) passed`, { cause: error });
      }
    } else if (this.state === "entered") {
      this.state = "exited";
    }
    return error;
  }

  private readonly onDeadline = (): void => {
    this.handle = null;
    this.task!.cancel();
    this.state = "expiring";
  };
}

/**
 * Runs `body` with a deadline `ms` from now (`null`: none). If it passes, the body
 * is cancelled at its current `yield*` and `TimeoutError` comes out.
 *
 * @example
 * ```ts
 * try {
 *   const page = yield* timeout(5000, function* () { return yield* ensureFuture(fetch(url)); });
 * } catch (e) { if (e instanceof TimeoutError) console.log("too slow"); }
 * ```
 */
export function timeout<T>(ms: number | null, body: TimeoutBody<T>): AwaitableCoro<T> {
  checkBody(body, "timeout");
  const delay = checkTimeout(ms, "timeout");
  return Timeout._after(delay)._run(body) as AwaitableCoro<T>;
}

/**
 * Like `timeout`, with an absolute deadline in loop time (`getRunningLoop().time()`).
 *
 * @example
 * ```ts
 * const deadline = getRunningLoop().time() + 1000;
 * yield* timeoutAt(deadline, stepOne());
 * ```
 */
export function timeoutAt<T>(when: number | null, body: TimeoutBody<T>): AwaitableCoro<T> {
  checkBody(body, "timeoutAt");
  if (when !== null && (typeof when !== "number" || Number.isNaN(when))) {
    throw new TypeError(`timeoutAt expects a loop time in milliseconds or null, got ${describeValue(when)}`);
  }
  return new Timeout(when)._run(body) as AwaitableCoro<T>;
}

// timeout() and timeoutAt() return the scope's own run: awaitable, one generator per scope.
awaitable(Timeout.prototype._run);

function checkBody(body: unknown, name: string): void {
  if (!isCoroutine(body) && typeof body !== "function") {
    throw new TypeError(`${name} expects a generator function (function* (scope) { ... }) or a coroutine, got ${describeValue(body)}`);
  }
}
