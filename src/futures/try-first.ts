/**
 * A coroutine for an operation that is usually over at once (an uncontended
 * lock's acquire): its first step tries it, and only if that fails does it make
 * the waiting coroutine, which it then delegates to. Written by hand, as a
 * generator's methods, so that the usual case allocates one small object instead
 * of a generator object and its result objects.
 */
import type { Coro } from "./coroutine.js";
import { type AwaitableCoro, makeCoroutineClassAwaitable } from "./awaitable.js";

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

const NEW = 0;
const WAITING = 1;
const DONE = 2;

class TryFirst<T, A> {
  private state: typeof NEW | typeof WAITING | typeof DONE = NEW;
  private waiting: Coro<T> | null = null;

  constructor(
    private readonly plan: TryFirstPlan<T, A>,
    private readonly arg: A,
  ) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(value?: unknown): IteratorResult<unknown, T> {
    if (this.state === NEW) {
      this.state = DONE; // until it is known to wait: an attempt that throws ends it
      const now = this.plan.attempt(this.arg);
      if (now !== WAIT) return { done: true, value: now };
      this.waiting = this.plan.wait(this.arg);
      this.state = WAITING;
    }
    if (this.state === DONE) return { done: true, value: undefined as T };
    return this.settled(this.waiting!.next(value));
  }

  throw(error: unknown): IteratorResult<unknown, T> {
    if (this.state !== WAITING) {
      this.state = DONE;
      throw error;
    }
    return this.settled(this.waiting!.throw(error));
  }

  return(value: T): IteratorResult<unknown, T> {
    if (this.state !== WAITING) {
      this.state = DONE;
      return { done: true, value };
    }
    return this.settled(this.waiting!.return(value));
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
makeCoroutineClassAwaitable(TryFirst);

/**
 * A coroutine that does `plan.attempt(arg)` on its first step and returns its
 * result, or, when that is `WAIT`, runs `plan.wait(arg)` to its end. Awaitable from
 * async code.
 *
 * @internal
 */
export function tryFirst<T, A = undefined>(plan: TryFirstPlan<T, A>, arg?: A): AwaitableCoro<T> {
  return new TryFirst(plan, arg as A) as unknown as AwaitableCoro<T>;
}
