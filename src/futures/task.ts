import { host } from "#platform";
import { CancelledError, InvalidStateError, RuntimeError, describeValue } from "../errors.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { type AsyncBody, type Coro, explainCommonMistake, isCoroutine, isPromiseLike } from "./coroutine.js";
import { Future, type FutureWaiter, cancelledError } from "./future.js";
import { type Listed, taskListOf } from "./task-list.js";
import { checkOptions } from "../validate.js";
import { type FrameInfo, captureStack, coroutineFrames } from "./frames.js";
import { markStarted } from "./never-awaited.js";

/** A call to another thread, as the call graph shows it (see RemoteCallTask). */
export interface RemoteCallInfo {
  /** The thread the call went to, as its handle names it (the worker's name or URL); `null` while queued in a pool. */
  readonly thread: string | null;
  /** The exposed function called. */
  readonly function: string;
  /** The call's id on its connection; the serving task there answers to it. */
  readonly callId: number;
}

/** What a task runs: a coroutine, or an async function that receives an `AbortSignal`. */
export type TaskBody<T> = Coro<T> | AsyncBody<T>;

/** Options of `createTask`. */
export interface TaskOptions {
  /** The task's name (`Task-N` by default). */
  name?: string;
  /**
   * Start running the coroutine at once, inside `createTask`, up to its first real
   * wait (asyncio 3.12's eager tasks). A task that finishes without waiting is done
   * when `createTask` returns and never touches the loop's queue.
   */
  eager?: boolean;
  /**
   * Cancel the task when this signal aborts (a component unmounting, a page
   * navigating away, a user's Cancel button). The cancel message is the abort
   * reason's message.
   */
  signal?: AbortSignal;
}

let taskCounter = 0;

/**
 * @internal The body of a task whose outcome is set from outside rather than by a
 * coroutine (a call running on another thread: see RemoteCallTask). Nothing is
 * scheduled for it; the subclass ends it with `_finishWithResult`/`_finishWithError`.
 */
export const SETTLED_FROM_OUTSIDE: unique symbol = Symbol("settled from outside");

/**
 * A coroutine scheduled on the loop, as asyncio's `Task`. The task drives the
 * generator with `next()`/`throw()` exactly like `Task.__step`; `cancel()` throws
 * `CancelledError` into it at its current `yield*`, and its `catch`/`finally` blocks
 * may wait again before it ends.
 *
 * A task may also run an async function: it gets an `AbortSignal` that aborts on
 * `cancel()`, and the task ends cancelled when the function rejects with the
 * signal's reason (or any `CancelledError`). Unlike a generator, an async function
 * is only cancelled where it looks at its signal.
 *
 * @example
 * ```ts
 * function* main(): Coro<void> {
 *   const task = createTask(sleep(1000, "late"), { name: "sleeper" });
 *   yield* sleep(10);
 *   task.cancel("not needed");
 *   try { yield* task; } catch (e) { console.log(e instanceof CancelledError); } // true
 * }
 * ```
 */
export class Task<T = unknown> extends Future<T> implements FutureWaiter, Listed {
  /** The coroutine, or the async function until it is called. */
  private body: Coro<T> | AsyncBody<T> | null;
  private futureWaiter: Future<unknown> | null = null;
  // Cancellation state lives in `rare` (see Future): most tasks are never cancelled.
  // The default name is built only when asked for: spawning stays allocation-light.
  private name: string | number;
  /** @internal */ _previousListed: Listed | null = null;
  /** @internal */ _nextListed: Listed | null = null;

  /** Prefer `createTask(body)`; this is what it calls. */
  constructor(body: TaskBody<T>, loop?: EventLoop, options?: TaskOptions);
  constructor(body: TaskBody<T> | typeof SETTLED_FROM_OUTSIDE, loop: EventLoop = getRunningLoop(), options?: TaskOptions) {
    super(loop);
    // On a loop made with `asyncContext`, the host's async context here (Node's
    // AsyncLocalStorage stores): every step runs in it, so each task keeps the
    // context of the request that made it, as an asyncio task keeps its
    // contextvars. In `rare`: most loops never ask for it.
    if (loop._asyncContext && body !== SETTLED_FROM_OUTSIDE) {
      const context = host.captureAsyncContext();
      if (context !== null) (this.rare ??= {}).hostContext = context;
    }
    if (body === SETTLED_FROM_OUTSIDE) {
      this.body = null;
    } else if (isCoroutine(body) || (typeof body === "function" && explainCommonMistake(body, "createTask") === null)) {
      this.body = body;
      markStarted(body);
    } else {
      throw new TypeError(
        explainCommonMistake(body, "createTask") ??
          `createTask expects a coroutine (call the generator function: createTask(worker())) or an async function taking an AbortSignal, got ${describeValue(body)}`,
      );
    }
    checkOptions(options, "createTask");
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`createTask option signal expects an AbortSignal, got ${describeValue(signal)}`);
    }
    this.name = options?.name !== undefined ? String(options.name) : ++taskCounter;
    if (signal !== undefined) cancelOnAbort(this, signal); // before an eager first step
    if (body === SETTLED_FROM_OUTSIDE) {
      taskListOf(loop).add(this);
    } else if (options?.eager && loop.isRunning()) {
      this._step(undefined);
      if (!this.done()) taskListOf(loop).add(this); // one that finished at once was never listed
    } else {
      loop._callSoon(stepTask, this, undefined);
      taskListOf(loop).add(this);
    }
  }

  /** The task's name (`Task-N` unless given). */
  getName(): string {
    return typeof this.name === "number" ? `Task-${this.name}` : this.name;
  }

  /** Renames the task. */
  setName(name: string): void {
    this.name = String(name);
  }

  /**
   * The coroutine the task drives, while it runs: `null` once the task is done (its
   * coroutine is let go, as asyncio does for an eager task that finished at once),
   * and for an async-function task.
   */
  getCoro(): Coro<T> | null {
    return typeof this.body === "function" ? null : this.body;
  }

  /**
   * The coroutine frames of the task, innermost first, as far as JavaScript can
   * tell (asyncio's `get_stack`): a suspended generator cannot be walked, so for a
   * waiting task these are the frames recorded where it started to wait, which the
   * loop records in debug mode only (`run(main, { debug: true })`); without debug
   * mode a waiting task gives `[]`. Asked from inside the task itself, the frames
   * are the live ones. Each frame names the function and, where the engine says,
   * the source location of its `yield*`.
   *
   * @example
   * ```ts
   * for (const frame of task.getStack()) console.log(`${frame.name} ${frame.file}:${frame.line}`);
   * ```
   */
  getStack(limit?: number): FrameInfo[] {
    if (this._loop._currentTask === this) return coroutineFrames(captureStack(this.getStack).stack, limit);
    if (this.done()) return [];
    return coroutineFrames(this._waitStack()?.stack, limit);
  }

  /** @internal The future the task waits on now, or `null` (running, or ready to run). */
  _waitingOn(): Future<unknown> | null {
    return this.done() ? null : this.futureWaiter;
  }

  /** @internal Where the task's work runs when it is a call to another thread (see RemoteCallTask). */
  _remoteCall(): RemoteCallInfo | null {
    return null;
  }

  /**
   * Requests cancellation: `CancelledError` is thrown into the coroutine at its
   * current `yield*` on the next iteration. Returns `false` if the task is already
   * done. Each call counts (see `cancelling()`).
   */
  override cancel(message?: string): boolean {
    if (this.done()) return false;
    const rare = this._countCancelRequest(message);
    const controller = rare.abortController;
    if (controller !== undefined) {
      // An async function is running: the signal is the only way in.
      controller.abort(cancelledError(message ?? ""));
      return true;
    }
    if (this.futureWaiter !== null && this.futureWaiter.cancel(message)) {
      // The waiter's cancellation wakes us with CancelledError. Keep the waiter: it
      // may be a task that swallows the cancellation, to be cancelled again later.
      return true;
    }
    // The step is already scheduled; it will throw CancelledError in.
    rare.mustCancel = true;
    this._cancelMessage = message;
    return true;
  }

  /**
   * An `AbortSignal` that aborts as soon as the task is asked to cancel (its reason
   * a `CancelledError`): hand it to what takes one — `fetch`, a stream, an event
   * listener — so that work stops with the task.
   *
   * @example
   * ```ts
   * function* load(url: string): Coro<Response> {
   *   return yield* ensureFuture(fetch(url, { signal: currentTask()!.signal }));
   * }
   * ```
   */
  get signal(): AbortSignal {
    const rare = (this.rare ??= {});
    if (rare.signalController === undefined) {
      rare.signalController = new AbortController();
      if (this.cancelled() || (rare.cancelsRequested ?? 0) > 0) rare.signalController.abort(cancelledError(this._cancelMessage ?? ""));
    }
    return rare.signalController.signal;
  }

  /** @internal Counts one cancellation request and aborts the task's `signal`, if one was asked for. */
  protected _countCancelRequest(message: string | undefined): NonNullable<typeof this.rare> {
    const rare = (this.rare ??= {});
    rare.cancelsRequested = (rare.cancelsRequested ?? 0) + 1;
    rare.signalController?.abort(cancelledError(message ?? ""));
    return rare;
  }

  /** How many cancellation requests are pending (asyncio's `cancelling()`). */
  cancelling(): number {
    return this.rare?.cancelsRequested ?? 0;
  }

  /**
   * Takes back one cancellation request and returns how many remain. Code that
   * catches `CancelledError` for its own purpose (a timeout) calls it so that outer
   * scopes see only their own cancellations.
   */
  uncancel(): number {
    const rare = this.rare;
    if (rare === null || !rare.cancelsRequested) return 0;
    if (--rare.cancelsRequested === 0) rare.mustCancel = false;
    return rare.cancelsRequested;
  }

  /** Not allowed: a task's result is what its coroutine returns. */
  override setResult(_value: T): never {
    throw new RuntimeError("Task does not support setResult(): its result is what its coroutine returns.");
  }

  /** Not allowed: a task's exception is what its coroutine throws. */
  override setException(_error: unknown): never {
    throw new RuntimeError("Task does not support setException(): its exception is what its coroutine throws.");
  }

  override toString(): string {
    return `<Task ${this.getName()} ${this.describeState()}>`;
  }

  /** @internal One step, as asyncio's `Task.__step`: resume the coroutine with a value or an error. */
  _step(error: unknown): void {
    if (this.done()) throw new InvalidStateError(`step() on a task that is already done: ${this}`);
    const rare = this.rare;
    if (rare !== null) {
      if (rare.mustCancel) {
        if (!(error instanceof CancelledError)) error = this.makeCancelledError();
        rare.mustCancel = false;
      }
      rare.waitStack = undefined; // it waits no more where it did
    }
    this.futureWaiter = null;
    const loop = this._loop;
    const previous = loop._currentTask; // an eager task steps inside another task's step
    loop._currentTask = this;
    try {
      const context = rare?.hostContext;
      if (context === undefined) this.runBody(this.body!, error);
      else {
        // Callbacks the step schedules run in this context too (see EventLoop's inAsyncContext).
        const outer = loop._enteredContext;
        loop._enteredContext = context;
        try {
          context.runInAsyncScope(this.runBody, this, this.body!, error);
        } finally {
          loop._enteredContext = outer;
        }
      }
    } finally {
      loop._currentTask = previous;
    }
  }

  /** Starts the async function, or steps the coroutine, with `error` thrown in (`undefined`: none). */
  private runBody(body: Coro<T> | AsyncBody<T>, error: unknown): void {
    if (typeof body === "function") this.startAsyncBody(body, error);
    else this.stepCoroutine(body, error);
  }

  private stepCoroutine(coro: Coro<T>, error: unknown): void {
    let step: IteratorResult<Future<unknown> | undefined, T>;
    try {
      step = error === undefined ? coro.next(undefined) : coro.throw(error);
    } catch (thrown) {
      this._finishWithError(thrown);
      return;
    }
    if (step.done) {
      if (this.rare?.mustCancel) {
        // Cancelled right before the coroutine returned.
        this.rare.mustCancel = false;
        super.cancel(this._cancelMessage);
        this.ended();
      } else {
        this._finishWithResult(step.value);
      }
      return;
    }
    const yielded = step.value;
    if (yielded instanceof Future) {
      if (yielded._loop !== this._loop) {
        this.stepSoonWith(new RuntimeError(`Task ${this.getName()} waited on a future that belongs to a different loop; create it with this loop's createFuture().`));
      } else if (yielded === this) {
        this.stepSoonWith(new RuntimeError(`Task ${this.getName()} cannot wait on itself.`));
      } else {
        yielded._addWaiter(this);
        this.futureWaiter = yielded;
        if (this.rare?.mustCancel && yielded.cancel(this._cancelMessage)) this.rare.mustCancel = false;
      }
    } else if (yielded === undefined) {
      // A bare `yield` gives up the rest of this iteration (asyncio's sleep(0)).
      this._loop._callSoon(stepTask, this, undefined);
    } else if (isCoroutine(yielded)) {
      this.stepSoonWith(new TypeError(`Task ${this.getName()} got a yielded coroutine; wait on it with yield* (with the star).`));
    } else if (isPromiseLike(yielded)) {
      this.stepSoonWith(new TypeError(`Task ${this.getName()} got a yielded promise; a coroutine waits on a promise with yield* ensureFuture(promise).`));
    } else {
      this.stepSoonWith(new TypeError(`Task ${this.getName()} got bad yield: ${describeValue(yielded)}; wait with yield* on a future, task or coroutine.`));
    }
  }

  /** An async-function task: the first step calls the function; cancellation goes through its signal. */
  private startAsyncBody(body: AsyncBody<T>, error: unknown): void {
    if (error !== undefined) {
      // Cancelled before it started: the function never runs.
      this._finishWithError(error);
      return;
    }
    const controller = new AbortController();
    let outcome: unknown;
    try {
      outcome = body(controller.signal);
    } catch (thrown) {
      this._finishWithError(thrown);
      return;
    }
    if (isCoroutine(outcome)) {
      // `createTask(() => worker())`: drive the coroutine it returned.
      this.body = outcome as Coro<T>;
      this.stepCoroutine(outcome as Coro<T>, undefined);
      return;
    }
    this.body = null;
    if (!isPromiseLike(outcome)) {
      // asyncio refuses what is not a coroutine; a function can be told apart only by
      // what it returns, so the task fails with what went wrong.
      this._finishWithError(
        new TypeError(
          `A task's function returned ${describeValue(outcome)}, neither a promise nor a coroutine: give createTask a coroutine (worker()), an async function, or a function returning a promise`,
        ),
      );
      return;
    }
    (this.rare ??= {}).abortController = controller;
    // The function goes on in host microtasks, between the loop's iterations.
    this._loop._asyncInFlight++;
    outcome.then(
      (value) => this.settleAsyncBody(true, value, controller),
      (reason) => this.settleAsyncBody(false, reason, controller),
    );
  }

  private settleAsyncBody(fulfilled: boolean, outcome: unknown, controller: AbortController): void {
    this._loop._asyncInFlight--;
    this.rare!.abortController = undefined;
    if (this.done() || this._loop.isClosed()) return;
    if (fulfilled) {
      // Like a coroutine that swallowed its cancellation: the value stands.
      this._finishWithResult(outcome as T);
    } else if (controller.signal.aborted && isAbortOf(outcome, controller.signal)) {
      this._finishWithError(outcome instanceof CancelledError ? outcome : controller.signal.reason);
    } else {
      this._finishWithError(outcome);
    }
  }

  /** @internal Ends the task with its coroutine's (or the outside's) result. */
  protected _finishWithResult(value: T): void {
    super.setResult(value);
    this.ended();
  }

  /** @internal Ends the task with an error; a `CancelledError` ends it cancelled, re-raising that very error. */
  protected _finishWithError(thrown: unknown): void {
    if (thrown instanceof CancelledError) {
      this._setCancelledError(thrown); // awaiting the task re-raises this very error
      super.cancel(thrown.message);
    } else {
      super.setException(thrown === undefined ? new RuntimeError(`Task ${this.getName()} threw undefined`) : thrown);
    }
    this.ended();
  }

  /**
   * The task is over: it leaves the task list and lets go of its coroutine. A
   * finished generator still holds its closure and frame, which a caller keeping
   * done tasks (a list of results) would otherwise keep alive; and spawning many
   * short tasks leaves that much less for the garbage collector to copy (spawn+join
   * 1e5, separate processes: 0.79x by median).
   */
  private ended(): void {
    this.body = null;
    taskListOf<Task<unknown>>(this._loop).remove(this);
  }

  /** @internal The future this task waited on is done (asyncio's `Task.__wakeup`). */
  _wakeUp(future: Future<unknown>): void {
    if (future._succeeded()) {
      this._step(undefined);
    } else {
      // Cancelled: a fresh CancelledError; failed: the error, which is now retrieved.
      this._step(future.cancelled() ? future.makeCancelledError() : future.exception());
    }
  }

  private stepSoonWith(error: unknown): void {
    this._loop._callSoon(stepTask, this, error);
  }
}

/** Steps a task from the loop; module-level so scheduling a step allocates no closure. */
function stepTask(task: Task<unknown>, error: unknown): void {
  task._step(error);
}

/** Whether a rejection is the abort the task asked for. */
/** `createTask(body, { signal })`: the task is cancelled when the signal aborts. */
function cancelOnAbort(task: Task<unknown>, signal: AbortSignal): void {
  const cancel = (): void => {
    const reason: unknown = signal.reason;
    task.cancel(reason instanceof Error ? reason.message : String(reason ?? "aborted"));
  };
  if (signal.aborted) {
    cancel();
    return;
  }
  signal.addEventListener("abort", cancel, { once: true });
  // A long-lived signal must not keep every task it ever started.
  task.addDoneCallback(() => signal.removeEventListener("abort", cancel));
}

function isAbortOf(reason: unknown, signal: AbortSignal): boolean {
  return (
    reason === signal.reason ||
    reason instanceof CancelledError ||
    (typeof reason === "object" && reason !== null && (reason as { name?: unknown }).name === "AbortError")
  );
}
