import { CancelledError, InvalidStateError, RuntimeError, describeValue } from "../errors.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { type AsyncBody, type Coro, explainCommonMistake, isCoroutine, isPromiseLike } from "./coroutine.js";
import { Future } from "./future.js";

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
}

let taskCounter = 0;

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
export class Task<T = unknown> extends Future<T> {
  private coro: Coro<T> | null;
  private asyncBody: AsyncBody<T> | null;
  private abortController: AbortController | null = null;
  private futureWaiter: Future<unknown> | null = null;
  private mustCancel = false;
  private cancelsRequested = 0;
  private name: string;
  private readonly stepSoon = (): void => this.step(undefined);
  private readonly wakeup = (future: Future<unknown>): void => this.wakeUpFrom(future);

  /** Prefer `createTask(body)`; this is what it calls. */
  constructor(body: TaskBody<T>, loop: EventLoop = getRunningLoop(), options: TaskOptions = {}) {
    super(loop);
    if (isCoroutine(body)) {
      this.coro = body;
      this.asyncBody = null;
    } else if (typeof body === "function" && explainCommonMistake(body, "createTask") === null) {
      this.coro = null;
      this.asyncBody = body;
    } else {
      throw new TypeError(
        explainCommonMistake(body, "createTask") ??
          `createTask expects a coroutine (call the generator function: createTask(worker())) or an async function taking an AbortSignal, got ${describeValue(body)}`,
      );
    }
    this.name = options.name !== undefined ? String(options.name) : `Task-${++taskCounter}`;
    if (options.eager && loop.isRunning()) {
      this.step(undefined);
      if (!this.done()) loop._tasks.add(this);
    } else {
      loop.callSoon(this.stepSoon);
      loop._tasks.add(this);
    }
  }

  /** The task's name. */
  getName(): string {
    return this.name;
  }

  /** Renames the task. */
  setName(name: string): void {
    this.name = String(name);
  }

  /** The coroutine the task drives (`null` for an async-function task). */
  getCoro(): Coro<T> | null {
    return this.coro;
  }

  /**
   * Requests cancellation: `CancelledError` is thrown into the coroutine at its
   * current `yield*` on the next iteration. Returns `false` if the task is already
   * done. Each call counts (see `cancelling()`).
   */
  override cancel(message?: string): boolean {
    if (this.done()) return false;
    this.cancelsRequested++;
    if (this.abortController !== null) {
      // An async function is running: the signal is the only way in.
      this.abortController.abort(new CancelledError(message ?? ""));
      return true;
    }
    if (this.futureWaiter !== null && this.futureWaiter.cancel(message)) {
      // The waiter's cancellation wakes us with CancelledError. Keep the waiter: it
      // may be a task that swallows the cancellation, to be cancelled again later.
      return true;
    }
    // The step is already scheduled; it will throw CancelledError in.
    this.mustCancel = true;
    this._cancelMessage = message;
    return true;
  }

  /** How many cancellation requests are pending (asyncio's `cancelling()`). */
  cancelling(): number {
    return this.cancelsRequested;
  }

  /**
   * Takes back one cancellation request and returns how many remain. Code that
   * catches `CancelledError` for its own purpose (a timeout) calls it so that outer
   * scopes see only their own cancellations.
   */
  uncancel(): number {
    if (this.cancelsRequested > 0) {
      this.cancelsRequested--;
      if (this.cancelsRequested === 0) this.mustCancel = false;
    }
    return this.cancelsRequested;
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
    return `<Task ${this.name} ${this.describeState()}>`;
  }

  /** One step, as asyncio's `Task.__step`: resume the coroutine with a value or an error. */
  private step(error: unknown): void {
    if (this.done()) throw new InvalidStateError(`step() on a task that is already done: ${this}`);
    if (this.mustCancel) {
      if (!(error instanceof CancelledError)) error = this.makeCancelledError();
      this.mustCancel = false;
    }
    this.futureWaiter = null;
    const loop = this._loop;
    const previous = loop._currentTask; // an eager task steps inside another task's step
    loop._currentTask = this;
    try {
      if (this.coro !== null) this.stepCoroutine(this.coro, error);
      else this.startAsyncBody(error);
    } finally {
      loop._currentTask = previous;
    }
  }

  private stepCoroutine(coro: Coro<T>, error: unknown): void {
    let step: IteratorResult<Future<unknown> | undefined, T>;
    try {
      step = error === undefined ? coro.next(undefined) : coro.throw(error);
    } catch (thrown) {
      this.finishWithError(thrown);
      return;
    }
    if (step.done) {
      if (this.mustCancel) {
        // Cancelled right before the coroutine returned.
        this.mustCancel = false;
        this.finish(() => super.cancel(this._cancelMessage));
      } else {
        this.finish(() => super.setResult(step.value));
      }
      return;
    }
    const yielded = step.value;
    if (yielded instanceof Future) {
      if (yielded._loop !== this._loop) {
        this.stepSoonWith(new RuntimeError(`Task ${this.name} waited on a future that belongs to a different loop; create it with this loop's createFuture().`));
      } else if (yielded === this) {
        this.stepSoonWith(new RuntimeError(`Task ${this.name} cannot wait on itself.`));
      } else {
        yielded.addDoneCallback(this.wakeup);
        this.futureWaiter = yielded;
        if (this.mustCancel && yielded.cancel(this._cancelMessage)) this.mustCancel = false;
      }
    } else if (yielded === undefined) {
      // A bare `yield` gives up the rest of this iteration (asyncio's sleep(0)).
      this._loop.callSoon(this.stepSoon);
    } else if (isPromiseLike(yielded)) {
      this.stepSoonWith(new TypeError(`Task ${this.name} got a yielded promise; a coroutine waits on a promise with yield* ensureFuture(promise).`));
    } else {
      this.stepSoonWith(new TypeError(`Task ${this.name} got bad yield: ${describeValue(yielded)}; wait with yield* on a future, task or coroutine.`));
    }
  }

  /** An async-function task: the first step calls the function; cancellation goes through its signal. */
  private startAsyncBody(error: unknown): void {
    if (error !== undefined) {
      // Cancelled before it started: the function never runs.
      this.finishWithError(error);
      return;
    }
    const controller = new AbortController();
    let outcome: unknown;
    try {
      outcome = this.asyncBody!(controller.signal);
    } catch (thrown) {
      this.finishWithError(thrown);
      return;
    }
    this.asyncBody = null;
    if (isCoroutine(outcome)) {
      // `createTask(() => worker())`: drive the coroutine it returned.
      this.coro = outcome as Coro<T>;
      this.stepCoroutine(this.coro, undefined);
      return;
    }
    this.abortController = controller;
    if (!isPromiseLike(outcome)) {
      this.settleAsyncBody(true, outcome, controller);
      return;
    }
    outcome.then(
      (value) => this.settleAsyncBody(true, value, controller),
      (reason) => this.settleAsyncBody(false, reason, controller),
    );
  }

  private settleAsyncBody(fulfilled: boolean, outcome: unknown, controller: AbortController): void {
    this.abortController = null;
    if (this.done() || this._loop.isClosed()) return;
    if (fulfilled) {
      // Like a coroutine that swallowed its cancellation: the value stands.
      this.finish(() => super.setResult(outcome as T));
    } else if (controller.signal.aborted && isAbortOf(outcome, controller.signal)) {
      this.finishWithError(outcome instanceof CancelledError ? outcome : controller.signal.reason);
    } else {
      this.finishWithError(outcome);
    }
  }

  private finishWithError(thrown: unknown): void {
    if (thrown instanceof CancelledError) {
      this._cancelledError = thrown; // awaiting the task re-raises this very error
      this.finish(() => super.cancel(thrown.message));
    } else {
      const error = thrown === undefined ? new RuntimeError(`Task ${this.name} threw undefined`) : thrown;
      this.finish(() => super.setException(error));
    }
  }

  private finish(complete: () => void): void {
    complete();
    this._loop._tasks.delete(this);
  }

  private wakeUpFrom(future: Future<unknown>): void {
    if (future.cancelled()) {
      this.step(future.makeCancelledError());
      return;
    }
    const error = future.exception(); // also marks the error as retrieved
    this.step(error);
  }

  private stepSoonWith(error: unknown): void {
    this._loop.callSoon(stepWithError, this, error);
  }

  /** @internal For `stepSoonWith`. */
  static _stepWithError(task: Task<unknown>, error: unknown): void {
    task.step(error);
  }
}

const stepWithError = (task: Task<unknown>, error: unknown): void => Task._stepWithError(task, error);

/** Whether a rejection is the abort the task asked for. */
function isAbortOf(reason: unknown, signal: AbortSignal): boolean {
  return (
    reason === signal.reason ||
    reason instanceof CancelledError ||
    (typeof reason === "object" && reason !== null && (reason as { name?: unknown }).name === "AbortError")
  );
}
