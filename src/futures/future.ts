import { CancelledError, InvalidStateError, describeValue } from "../errors.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";

/** A callback added with `addDoneCallback`; it receives the future. */
export type DoneCallback<F> = (future: F) => void;

const PENDING = 0;
const FINISHED = 1;
const CANCELLED = 2;
type State = typeof PENDING | typeof FINISHED | typeof CANCELLED;

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

/**
 * What `yield* future` runs: asyncio's `Future.__await__`. A done future returns
 * its result at once without yielding (the fast path); a pending one yields itself
 * to the driving task, which resumes the coroutine when it is done.
 */
class FutureIterator<T> implements Iterator<Future<T>, T, unknown> {
  private yielded = false;
  constructor(private readonly future: Future<T>) {}

  next(): IteratorResult<Future<T>, T> {
    const future = this.future;
    if (!this.yielded && future._state === PENDING) {
      this.yielded = true;
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
  /** @internal */ _result: T | undefined = undefined;
  /** @internal */ _exception: unknown = undefined;
  /** @internal */ _cancelMessage: string | undefined = undefined;
  /** @internal The CancelledError a task's coroutine raised, reused by `result()`. */
  _cancelledError: CancelledError | null = null;
  /** @internal */ readonly _loop: EventLoop;
  private callbacks: Array<(future: any) => void> | null = null;
  private unretrieved: UnretrievedError | null = null;
  private settle: { resolve(value: T): void; reject(error: unknown): void } | null = null;

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
    if (this._state === FINISHED) {
      if (this._exception !== undefined) {
        this.markRetrieved();
        throw this._exception;
      }
      return this._result as T;
    }
    if (this._state === CANCELLED) throw this.makeCancelledError();
    throw new InvalidStateError("Result is not ready: the future is still pending; wait for it with yield* or await.");
  }

  /**
   * The exception set on the future, or `undefined` if it has a result. Throws
   * `CancelledError` if cancelled, `InvalidStateError` if not done yet.
   */
  exception(): unknown {
    if (this._state === FINISHED) {
      this.markRetrieved();
      return this._exception;
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
    this._result = value;
    this._state = FINISHED;
    this.scheduleCallbacks();
  }

  /**
   * Marks the future done with `error` and schedules its callbacks. If nobody
   * retrieves the error, the loop's exception handler hears of it.
   */
  setException(error: unknown): void {
    if (this._state !== PENDING) throw new InvalidStateError(`setException on a future that is already ${this.describeState()}`);
    if (error === undefined) throw new TypeError("setException needs an error; undefined cannot be told apart from success");
    this._exception = error;
    this._state = FINISHED;
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
    if (this._state !== PENDING) {
      this._loop.callSoon(callback, this);
    } else if (this.callbacks === null) {
      this.callbacks = [callback];
    } else {
      this.callbacks.push(callback);
    }
  }

  /** Removes every registration of `callback`; returns how many were removed. */
  removeDoneCallback(callback: DoneCallback<this>): number {
    const callbacks = this.callbacks;
    if (callbacks === null) return 0;
    const kept = callbacks.filter((registered) => registered !== callback);
    const removed = callbacks.length - kept.length;
    if (removed > 0) this.callbacks = kept;
    return removed;
  }

  /** Makes `yield* future` wait for it and evaluate to its result. */
  [Symbol.iterator](): Iterator<Future<T>, T, unknown> {
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

  /** @internal The CancelledError `result()` raises for a cancelled future. */
  makeCancelledError(): CancelledError {
    if (this._cancelledError !== null) return this._cancelledError;
    return new CancelledError(this._cancelMessage ?? "");
  }

  /** @internal The state in words, for messages. */
  protected describeState(): string {
    if (this._state === PENDING) return "pending";
    if (this._state === CANCELLED) return "cancelled";
    return this._exception !== undefined ? `finished with ${describeValue(this._exception)}` : "finished";
  }

  private asPromise(): Promise<T> {
    if (this._state === FINISHED) {
      if (this._exception !== undefined) {
        this.markRetrieved();
        return Promise.reject(this._exception);
      }
      return Promise.resolve(this._result as T);
    }
    if (this._state === CANCELLED) return Promise.reject(this.makeCancelledError());
    return new Promise<T>((resolve, reject) => {
      const previous = this.settle;
      this.settle =
        previous === null
          ? { resolve, reject }
          : {
              resolve: (value) => (previous.resolve(value), resolve(value)),
              reject: (error) => (previous.reject(error), reject(error)),
            };
    });
  }

  private scheduleCallbacks(): void {
    const callbacks = this.callbacks;
    if (callbacks !== null) {
      this.callbacks = null;
      for (let i = 0; i < callbacks.length; i++) this._loop.callSoon(callbacks[i]!, this);
    }
    const settle = this.settle;
    if (settle !== null) {
      // Settling a promise runs nothing synchronously: its reactions are microtasks.
      this.settle = null;
      if (this._state === CANCELLED) settle.reject(this.makeCancelledError());
      else if (this._exception !== undefined) {
        this.markRetrieved();
        settle.reject(this._exception);
      } else settle.resolve(this._result as T);
    }
  }

  private trackUnretrieved(error: unknown): void {
    const record = new UnretrievedError(this._loop, error, this.toString(), this.constructor.name);
    this.unretrieved = record;
    this._loop._unreportedErrors.add(record);
    unretrievedOnCollect.register(this, record);
  }

  private markRetrieved(): void {
    if (this.unretrieved !== null) {
      this.unretrieved.markRetrieved();
      this.unretrieved = null;
    }
  }
}

/** Whether `value` is a `Future` (or a `Task`). */
export function isFuture(value: unknown): value is Future<unknown> {
  return value instanceof Future;
}
