import { CancelledError, InvalidStateError, describeValue } from "../errors.js";
import { type EventLoop, debugEverOn } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import type { HostAsyncContext } from "../platform/host.js";
import { captureStack } from "./frames.js";

/** A callback added with `addDoneCallback`; it receives the future. */
export type DoneCallback<F> = (future: F) => void;

/**
 * @internal Something woken when a future is done without a closure of its own:
 * a task waiting on the future (asyncio's `Task.__wakeup`).
 */
export interface FutureWaiter {
  _wakeUp(future: Future<unknown>): void;
}

/** What a future calls back when done: a done callback, or a task waiting on it. */
type Callback = ((future: any) => void) | FutureWaiter;

function wakeWaiter(waiter: FutureWaiter, future: Future<unknown>): void {
  waiter._wakeUp(future);
}

const PENDING = 0;
/** Done with a result. */
const SUCCEEDED = 1;
const CANCELLED = 2;
/** Done with an exception. */
const FAILED = 3;
type State = typeof PENDING | typeof SUCCEEDED | typeof CANCELLED | typeof FAILED;

/**
 * An error set on a future that nobody has retrieved yet. Reported to the loop's
 * exception handler when the future is garbage-collected or the loop closes while
 * it is still unretrieved (asyncio reports it from `__del__`).
 */
class UnretrievedError {
  retrieved = false;
  constructor(
    private readonly loop: EventLoop,
    private readonly error: unknown,
    private readonly description: string,
    private readonly kind: string,
  ) {}

  report(): void {
    if (this.retrieved) return;
    this.retrieved = true;
    this.loop._unreportedErrors.delete(this);
    this.loop.callExceptionHandler({
      message: `${this.kind} exception was never retrieved`,
      exception: this.error,
      future: this.description,
    });
  }

  reportIfOpen(): void {
    if (!this.loop.isClosed()) this.report();
  }

  markRetrieved(): void {
    this.retrieved = true;
    this.loop._unreportedErrors.delete(this);
  }
}

// A future dropped with its error unretrieved is reported when collected; whatever
// is still unretrieved when the loop closes is reported then (deterministically).
const unretrievedOnCollect = new FinalizationRegistry<UnretrievedError>((record) => record.reportIfOpen());

/** The fields of a future that only some futures need. */
interface RareState<T> {
  /** The message given to `cancel()`. */
  cancelMessage?: string | undefined;
  /** A task's count of pending cancellation requests (`cancelling()`). */
  cancelsRequested?: number;
  /** A task must throw CancelledError into its coroutine at its next step. */
  mustCancel?: boolean;
  /** A running async-function task's controller: its signal aborts on `cancel()`. */
  abortController?: AbortController | undefined;
  /** Behind a task's `signal`, made when first asked for: aborts on `cancel()`. */
  signalController?: AbortController;
  /** The CancelledError a task's coroutine raised, re-raised by `result()`. */
  cancelledError?: CancelledError;
  /** The error set on the future while nobody has retrieved it. */
  unretrieved?: UnretrievedError;
  /** Settles the promise made by `then()`. */
  settle?: { resolve(value: T): void; reject(error: unknown): void };
  /** In debug mode, a task's stack where it last started to wait (see call-graph.ts). */
  waitStack?: { stack?: string } | undefined;
  /** Called once, synchronously, the moment the future is done (see `_onEnd`). */
  onEnd?: ((future: any) => void) | undefined;
  /** Where the future is in its loop's list of those async code awaits (while `settle` is set). */
  awaitedAt?: number;
  /** On a loop made with `asyncContext`, the host's async context a task runs its steps in. */
  hostContext?: HostAsyncContext;
}

/**
 * What `yield* future` runs for a future that succeeded: an iterator that is its
 * own final result, so the `yield*` allocates one object, not an iterator and a
 * result (same-process A/B of spawn+join of 1e5 tasks, four runs: 0.90-0.99x by
 * median, 0.78-0.96x by first quartile; the collector is most of that workload).
 */
class DoneStep<T> implements Iterator<never, T, unknown>, IteratorReturnResult<T> {
  readonly done = true;
  constructor(readonly value: T) {}

  next(): IteratorReturnResult<T> {
    return this;
  }

  throw(error: unknown): IteratorResult<never, T> {
    throw error;
  }

  return(value?: T): IteratorResult<never, T> {
    return { done: true, value: value as T };
  }
}

/**
 * What `yield* future` runs otherwise: asyncio's `Future.__await__`. A pending
 * future yields itself to the driving task, which resumes the coroutine when it is
 * done; a done one gives its result (or throws its error) at once, without yielding.
 */
class FutureIterator<T> implements Iterator<Future<T>, T, unknown> {
  private yielded = false;
  constructor(private readonly future: Future<T>) {}

  next(): IteratorResult<Future<T>, T> {
    const future = this.future;
    if (!this.yielded && future._state === PENDING) {
      this.yielded = true;
      if (future._loop._debug) noteWaitPoint(future._loop, FutureIterator.prototype.next);
      return { done: false, value: future };
    }
    return { done: true, value: future.result() };
  }

  // The task throws a CancelledError (or the awaited future's error) into the
  // coroutine here; re-raising makes it appear at the coroutine's own `yield*`.
  throw(error: unknown): IteratorResult<Future<T>, T> {
    throw error;
  }

  return(value?: T): IteratorResult<Future<T>, T> {
    return { done: true, value: value as T };
  }
}

/**
 * @internal A `CancelledError` the library makes for a cancellation it carries
 * out. It has no stack trace outside debug mode: the trace would show where the
 * loop made it (its own internals), not where the coroutine was waiting, and
 * capturing one was most of what cancelling a worker's call cost locally
 * (~8 µs per error on the test machine, against ~25 µs for the rest).
 */
export function cancelledError(message: string): CancelledError {
  if (debugEverOn) return new CancelledError(message);
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new CancelledError(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * @internal In debug mode, makes the running task remember where it starts to wait:
 * the coroutines delegating through `yield*` are on the stack now, and nowhere
 * else later. `below` is a function on the stack, left out of the frames with
 * all it called; by default the frames begin with this function's caller.
 */
export function noteWaitPoint(loop: EventLoop, below: (...args: never[]) => unknown = noteWaitPoint): void {
  const task = loop._currentTask as Future<unknown> | null;
  if (task !== null) task._setWaitStack(captureStack(below));
}

/**
 * A value that will be ready later, as asyncio's `Future`. Coroutines wait on it
 * with `yield*` (typed: `const x: T = yield* future`), async code with `await`.
 * Done callbacks always run on the loop, never synchronously.
 *
 * @example
 * ```ts
 * function* main(): Coro<number> {
 *   const f = getRunningLoop().createFuture<number>();
 *   getRunningLoop().callLater(10, () => f.setResult(42));
 *   return yield* f; // 42
 * }
 * ```
 */
export class Future<T = unknown> implements PromiseLike<T> {
  /** @internal */ _state: State = PENDING;
  /** @internal The result once SUCCEEDED, the exception once FAILED (one slot: every field costs on every task). */
  _value: unknown = undefined;
  /** @internal */ readonly _loop: EventLoop;
  // One callback is stored as is (most futures have exactly one waiter); several in an array.
  private callbacks: Callback | Callback[] | null = null;
  // State most futures never need lives in a side object: every field here costs
  // memory on every task, and spawning 1e5 tasks is measured in bench/.
  /** @internal */ protected rare: RareState<T> | null = null;

  /** @internal The message given to `cancel()`. */
  get _cancelMessage(): string | undefined {
    return this.rare?.cancelMessage;
  }

  /** @internal */
  set _cancelMessage(message: string | undefined) {
    if (message !== undefined || this.rare !== null) (this.rare ??= {}).cancelMessage = message;
  }

  /**
   * A pending future on `loop` (the running loop by default).
   * Prefer `loop.createFuture()`.
   */
  constructor(loop?: EventLoop) {
    this._loop = loop ?? getRunningLoop();
  }

  /** The loop this future belongs to. */
  getLoop(): EventLoop {
    return this._loop;
  }

  /** Whether it has a result, an exception, or was cancelled. */
  done(): boolean {
    return this._state !== PENDING;
  }

  /** Whether it was cancelled. */
  cancelled(): boolean {
    return this._state === CANCELLED;
  }

  /**
   * The result. Throws the exception if one was set, `CancelledError` if cancelled,
   * `InvalidStateError` if not done yet.
   */
  result(): T {
    if (this._state === SUCCEEDED) return this._value as T;
    if (this._state === FAILED) {
      this.markRetrieved();
      throw this._value;
    }
    if (this._state === CANCELLED) throw this.makeCancelledError();
    throw new InvalidStateError("Result is not ready: the future is still pending; wait for it with yield* or await.");
  }

  /**
   * The exception set on the future, or `undefined` if it has a result. Throws
   * `CancelledError` if cancelled, `InvalidStateError` if not done yet.
   */
  exception(): unknown {
    if (this._state === SUCCEEDED) return undefined;
    if (this._state === FAILED) {
      this.markRetrieved();
      return this._value;
    }
    if (this._state === CANCELLED) throw this.makeCancelledError();
    throw new InvalidStateError("Exception is not set: the future is still pending; wait for it with yield* or await.");
  }

  /**
   * Marks the future done with `value` and schedules its callbacks.
   * `InvalidStateError` if it is already done.
   */
  setResult(value: T): void {
    if (this._state !== PENDING) throw new InvalidStateError(`setResult on a future that is already ${this.describeState()}`);
    this._value = value;
    this._state = SUCCEEDED;
    this.scheduleCallbacks();
  }

  /**
   * Marks the future done with `error` and schedules its callbacks. If nobody
   * retrieves the error, the loop's exception handler hears of it.
   */
  setException(error: unknown): void {
    if (this._state !== PENDING) throw new InvalidStateError(`setException on a future that is already ${this.describeState()}`);
    if (error === undefined) throw new TypeError("setException needs an error; undefined cannot be told apart from success");
    this._value = error;
    this._state = FAILED;
    this.trackUnretrieved(error);
    this.scheduleCallbacks();
  }

  /**
   * Cancels the future and schedules its callbacks. Returns `false` if it was
   * already done.
   */
  cancel(message?: string): boolean {
    if (this._state !== PENDING) return false;
    this._state = CANCELLED;
    this._cancelMessage = message;
    this.scheduleCallbacks();
    return true;
  }

  /**
   * Calls `callback(future)` on the loop once the future is done (at the next
   * iteration if it already is).
   */
  addDoneCallback(callback: DoneCallback<this>): void {
    if (typeof callback !== "function") {
      throw new TypeError(`addDoneCallback expects a function, got ${describeValue(callback)}`);
    }
    this.addCallback(callback);
  }

  /** @internal Wakes `waiter` (a task) on the loop once done. */
  _addWaiter(waiter: FutureWaiter): void {
    this.addCallback(waiter);
  }

  private addCallback(callback: Callback): void {
    if (this._state !== PENDING) {
      this.scheduleCallback(callback);
    } else if (this.callbacks === null) {
      this.callbacks = callback;
    } else if (Array.isArray(this.callbacks)) {
      this.callbacks.push(callback);
    } else {
      this.callbacks = [this.callbacks, callback];
    }
  }

  private scheduleCallback(callback: Callback): void {
    if (typeof callback === "function") this._loop._callSoon(callback, this, undefined);
    else this._loop._callSoon(wakeWaiter, callback, this);
  }

  /** Removes every registration of `callback`; returns how many were removed. */
  removeDoneCallback(callback: DoneCallback<this>): number {
    const callbacks = this.callbacks;
    if (callbacks === null) return 0;
    if (!Array.isArray(callbacks)) {
      if (callbacks !== callback) return 0;
      this.callbacks = null;
      return 1;
    }
    const kept = callbacks.filter((registered) => registered !== callback);
    const removed = callbacks.length - kept.length;
    if (removed > 0) this.callbacks = kept;
    return removed;
  }

  /** Makes `yield* future` wait for it and evaluate to its result. */
  [Symbol.iterator](): Iterator<Future<T>, T, unknown> {
    // Joining a task already done (spawn+join, gather's results) is the usual case.
    if (this._state === SUCCEEDED) return new DoneStep(this._value as T);
    return new FutureIterator(this);
  }

  /**
   * Makes the future awaitable from async code: resolves with the result, rejects
   * with the exception or a `CancelledError`.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.asPromise().then(onFulfilled, onRejected);
  }

  toString(): string {
    return `<${this.constructor.name} ${this.describeState()}>`;
  }

  /** @internal Keeps the CancelledError a task's coroutine raised, for `result()` to re-raise. */
  _setCancelledError(error: CancelledError): void {
    (this.rare ??= {}).cancelledError = error;
  }

  /** @internal Where this task last started to wait (debug mode), or undefined. */
  _setWaitStack(holder: { stack?: string } | undefined): void {
    if (holder !== undefined || this.rare !== null) (this.rare ??= {}).waitStack = holder;
  }

  /** @internal The stack recorded by `_setWaitStack`. */
  _waitStack(): { stack?: string } | undefined {
    return this.rare?.waitStack;
  }

  /** @internal The done callbacks and waiting tasks, in order (for the call graph). */
  _callbacks(): ReadonlyArray<((future: never) => void) | FutureWaiter> {
    const callbacks = this.callbacks;
    return callbacks === null ? [] : Array.isArray(callbacks) ? callbacks : [callbacks];
  }

  /** @internal The futures this one stands for, when waiting on it waits on them (gather's children). */
  _awaitedFutures(): readonly Future<unknown>[] | null {
    return null;
  }

  /** @internal What waiting on this future means, for the call graph (a lock, a sleep, a gather…). */
  _describeWait(): { kind: string; description: string } | null {
    return null;
  }

  /** @internal Done with a result (not an error, not cancelled). */
  _succeeded(): boolean {
    return this._state === SUCCEEDED;
  }

  /** @internal The CancelledError `result()` raises for a cancelled future. */
  makeCancelledError(): CancelledError {
    const raised = this.rare?.cancelledError;
    if (raised !== undefined) return raised;
    return cancelledError(this._cancelMessage ?? "");
  }

  /** @internal The state in words, for messages. */
  protected describeState(): string {
    if (this._state === PENDING) return "pending";
    if (this._state === CANCELLED) return "cancelled";
    return this._state === FAILED ? `finished with ${describeValue(this._value)}` : "finished";
  }

  private asPromise(): Promise<T> {
    if (this._state === SUCCEEDED) return Promise.resolve(this._value as T);
    if (this._state === FAILED) {
      this.markRetrieved();
      return Promise.reject(this._value);
    }
    if (this._state === CANCELLED) return Promise.reject(this.makeCancelledError());
    if (this._loop.isClosed()) return Promise.reject(this.closedLoopError());
    return new Promise<T>((resolve, reject) => {
      const rare = (this.rare ??= {});
      const previous = rare.settle;
      if (previous === undefined) {
        const loop = this._loop;
        loop._asyncInFlight++; // one for all the promises of this future
        // Async code is no task that a closing loop could cancel: the loop ends its
        // await (see _releaseAsyncAwaiters). An array and an index, not a Set: hashing
        // each new future cost ~130 ns an await (awaiting a task from async code, A/B).
        const awaited = (loop._asyncAwaited ??= []) as Future<unknown>[];
        rare.awaitedAt = awaited.length;
        awaited.push(this);
      }
      rare.settle =
        previous === undefined
          ? { resolve, reject }
          : {
              resolve: (value) => (previous.resolve(value), resolve(value)),
              reject: (error) => (previous.reject(error), reject(error)),
            };
    });
  }

  /** Takes this future out of its loop's list of those async code awaits (the last one moves into its place). */
  private forgetAsyncAwaited(): void {
    const awaited = this._loop._asyncAwaited as Future<unknown>[] | null;
    const at = this.rare!.awaitedAt!;
    if (awaited === null || awaited[at] !== this) return; // the loop closed and let go of the list
    const last = awaited.pop()!;
    if (last !== this) {
      awaited[at] = last;
      last.rare!.awaitedAt = at;
    }
  }

  /**
   * @internal The loop closed with this future pending: it can never finish, so the
   * promises async code awaits it through end with `CancelledError`, as the task
   * running such code would be cancelled in asyncio. The future stays pending.
   */
  _releaseAsyncAwaiters(): void {
    const settle = this.rare?.settle;
    if (settle === undefined) return;
    this.rare!.settle = undefined;
    this._loop._asyncInFlight--;
    settle.reject(this.closedLoopError());
  }

  /** Why an await of this pending future ends: its loop is closed. */
  private closedLoopError(): CancelledError {
    return new CancelledError(`${this} can never finish: its event loop is closed. Await it before the loop closes (run() and Runner cancel what is left first).`);
  }

  /**
   * @internal Calls `listener` the moment the future is done, synchronously, before
   * its callbacks are scheduled (they run an iteration later). A served call answers
   * from here: on a thread woken from idle each iteration is slow (measured: a
   * cross-thread queue get answered ~10 µs sooner than from a done callback), and a
   * coroutine wrapped around the served one to answer from inside would rethrow
   * every error and cancellation once more (a throw out of a frame costs 0.5-0.8 µs
   * on the test machine).
   */
  _onEnd(listener: (future: this) => void): void {
    (this.rare ??= {}).onEnd = listener;
  }

  private scheduleCallbacks(): void {
    const rare = this.rare;
    if (rare !== null && rare.onEnd !== undefined) this.callEndListener(rare.onEnd);
    const callbacks = this.callbacks;
    if (callbacks !== null) {
      this.callbacks = null;
      if (!Array.isArray(callbacks)) this.scheduleCallback(callbacks);
      else for (let i = 0; i < callbacks.length; i++) this.scheduleCallback(callbacks[i]!);
    }
    const settle = this.rare?.settle;
    if (settle !== undefined) {
      // Settling a promise runs nothing synchronously: its reactions are microtasks,
      // which the loop lets run before its next iteration.
      this.rare!.settle = undefined;
      this._loop._asyncInFlight--;
      this.forgetAsyncAwaited();
      this._loop._hostMicrotasksQueued();
      if (this._state === CANCELLED) settle.reject(this.makeCancelledError());
      else if (this._state === FAILED) {
        this.markRetrieved();
        settle.reject(this._value);
      } else settle.resolve(this._value as T);
    }
  }

  private callEndListener(listener: (future: this) => void): void {
    this.rare!.onEnd = undefined;
    try {
      listener(this);
    } catch (error) {
      this._loop.callExceptionHandler({ message: `Exception in the end listener of ${this}`, exception: error, future: this });
    }
  }

  private trackUnretrieved(error: unknown): void {
    const record = new UnretrievedError(this._loop, error, this.toString(), this.constructor.name);
    (this.rare ??= {}).unretrieved = record;
    this._loop._unreportedErrors.add(record);
    unretrievedOnCollect.register(this, record);
  }

  private markRetrieved(): void {
    const record = this.rare?.unretrieved;
    if (record !== undefined) {
      record.markRetrieved();
      this.rare!.unretrieved = undefined;
    }
  }
}

/** Whether `value` is a `Future` (or a `Task`). */
export function isFuture(value: unknown): value is Future<unknown> {
  return value instanceof Future;
}
