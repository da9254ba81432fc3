/**
 * A coroutine for an operation that is usually over at once (an uncontended
 * lock's acquire): its first step tries it, and only if that fails does it wait,
 * either by delegating to the plan's waiting coroutine (`TryFirstPlan`) or by
 * yielding waiter futures itself until an attempt succeeds (`RetryPlan`). Written
 * by hand, as a generator's methods, so that the usual case allocates one small
 * object instead of a generator object and its result objects; `await` from async
 * code gets the same shortcut (see `then`).
 */
import type { Coro } from "./coroutine.js";
import { type AwaitableCoro, runAsTask } from "./awaitable.js";
import { markStarted, watchPrototype } from "./never-awaited.js";
import { type Future, noteWaitPoint } from "./future.js";

/** `attempt` says the operation cannot be done at once: wait. */
export const WAIT: unique symbol = Symbol("wait");

/**
 * What a `tryFirst` coroutine runs, with the argument it was made with (a put's
 * item): both on its first step, `wait` only if `attempt` gave `WAIT`. One plan
 * serves every call, so that a call allocates nothing but its coroutine.
 */
export interface TryFirstPlan<T, A = undefined> {
  attempt(arg: A): T | typeof WAIT;
  wait(arg: A): Coro<T>;
}

/**
 * A `tryFirst` plan whose wait is run by the coroutine itself, with no generator
 * (a contended queue's put and get wait about once in ten calls, and a generator
 * per wait was measured): while `attempt` gives `WAIT`, it waits on the future
 * `join` makes. Once that is done, `woken` either finishes the wait with its
 * result (a lock handed over) or says `WAIT` to attempt again (a queue's get,
 * as asyncio's loop in `Queue.get`). A wait that ends by an error thrown in (a
 * cancellation) or by `return()` calls `abandon` with its waiter, which must
 * leave nothing behind and pass on what the waiter was given.
 */
export interface RetryPlan<T, A = undefined> {
  attempt(arg: A): T | typeof WAIT;
  /** A new waiter to wait on, or an error thrown (waiting is no longer allowed). */
  join(arg: A): Future<unknown>;
  /** `waiter` is done: the wait's result, or `WAIT` to attempt again (no `woken`: attempt again). */
  woken?(waiter: Future<unknown>, arg: A): T | typeof WAIT;
  /** The wait ended early (an error thrown in, or `return()`): withdraw `waiter`. */
  abandon(waiter: Future<unknown>, arg: A): void;
}

const NEW = 0;
/** Running the plan's `wait` coroutine. */
const WAITING = 1;
const DONE = 2;
/** Waiting on the future a `RetryPlan`'s `join` made. */
const JOINED = 3;

class TryFirst<T, A> {
  private state: typeof NEW | typeof WAITING | typeof DONE | typeof JOINED = NEW;
  /** The plan's `wait` coroutine (WAITING), or the waiter of a retry plan (JOINED). */
  private waiting: Coro<T> | Future<unknown> | null = null;
  /** What `await` got when the operation was over at once (see `then`). */
  private atOnce: Promise<T> | null = null;

  constructor(
    private readonly plan: TryFirstPlan<T, A> | RetryPlan<T, A>,
    private readonly arg: A,
  ) {}

  [Symbol.iterator](): this {
    return this;
  }

  /**
   * `await` from async code. An operation that can be over at once (an item there,
   * a free lock) is done here, with no task: a task per await cost ~450 ns more
   * (`await queue.get()` of an item already there, measured). One that must wait
   * runs as a task of its own, as any coroutine awaited from async code does.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (this.state === NEW) {
      markStarted(this);
      this.state = DONE; // until it is known to wait
      try {
        const now = this.plan.attempt(this.arg);
        if (now === WAIT) this.state = NEW; // it runs as a task, from its first step
        else this.atOnce = Promise.resolve(now);
      } catch (error) {
        this.atOnce = Promise.reject(error);
      }
    }
    if (this.atOnce !== null) return this.atOnce.then(onFulfilled, onRejected);
    return runAsTask(this as unknown as Coro<T>, onFulfilled, onRejected);
  }

  next(value?: unknown): IteratorResult<unknown, T> {
    const state = this.state;
    if (state === NEW || state === JOINED) {
      this.state = DONE; // until it is known to wait: an attempt that throws ends it
      const plan = this.plan;
      let now: T | typeof WAIT = WAIT;
      if (state === JOINED) {
        const retry = plan as RetryPlan<T, A>;
        if (retry.woken !== undefined) now = retry.woken(this.waiting as Future<unknown>, this.arg);
        this.waiting = null;
      }
      if (now === WAIT) now = plan.attempt(this.arg);
      if (now !== WAIT) return { done: true, value: now };
      if ("join" in plan) {
        const waiter = plan.join(this.arg);
        // In debug mode the task's stack is recorded where it waits: from the coroutine that yield*s this one outward.
        if (waiter._loop._debug) noteWaitPoint(waiter._loop, TryFirst.prototype.next);
        this.waiting = waiter;
        this.state = JOINED;
        return { done: false, value: waiter };
      }
      this.waiting = plan.wait(this.arg);
      this.state = WAITING;
    }
    if (this.state === DONE) return { done: true, value: undefined as T };
    return this.settled((this.waiting as Coro<T>).next(value));
  }

  throw(error: unknown): IteratorResult<unknown, T> {
    if (this.state === WAITING) return this.settled((this.waiting as Coro<T>).throw(error));
    this.abandon();
    throw error;
  }

  return(value: T): IteratorResult<unknown, T> {
    if (this.state === WAITING) return this.settled((this.waiting as Coro<T>).return(value));
    this.abandon();
    return { done: true, value };
  }

  /** Ends it without a result; a retry plan's pending wait is withdrawn. */
  private abandon(): void {
    const joined = this.state === JOINED;
    this.state = DONE;
    if (!joined) return;
    const waiter = this.waiting as Future<unknown>;
    this.waiting = null;
    (this.plan as RetryPlan<T, A>).abandon(waiter, this.arg);
  }

  /** What the waiting coroutine gave (it may throw: then this one is done too, as a generator is). */
  private settled(step: IteratorResult<unknown, T>): IteratorResult<unknown, T> {
    if (step.done === true) {
      this.state = DONE;
      this.waiting = null;
    }
    return step;
  }
}
watchPrototype(TryFirst.prototype); // in debug mode: one made and never started is reported

/**
 * A coroutine that does `plan.attempt(arg)` on its first step and returns its
 * result, or, when that is `WAIT`, runs `plan.wait(arg)` to its end (a
 * `RetryPlan`: waits and attempts again until it succeeds). Awaitable from async
 * code.
 *
 * @internal
 */
export function tryFirst<T, A = undefined>(plan: TryFirstPlan<T, A> | RetryPlan<T, A>, arg?: A): AwaitableCoro<T> {
  return new TryFirst(plan, arg as A) as unknown as AwaitableCoro<T>;
}
