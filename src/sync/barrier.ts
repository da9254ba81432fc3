import { BrokenBarrierError } from "../errors.js";
import { type AwaitableCoro, makeMethodAwaitable } from "../futures/awaitable.js";
import type { Coro } from "../futures/coroutine.js";
import { Condition } from "./condition.js";
import { LoopBound } from "../futures/loop-bound.js";
import { checkInteger } from "../validate.js";

type BarrierState = "filling" | "draining" | "resetting" | "broken";

/**
 * A meeting point for a fixed number of tasks, as asyncio's `Barrier`: `wait()`
 * blocks until `parties` tasks wait, then releases them all and returns each its
 * arrival index. `reset()` and `abort()` break the waits with `BrokenBarrierError`.
 *
 * @example
 * ```ts
 * const barrier = new Barrier(3);
 * function* worker(): Coro<void> {
 *   yield* prepare();
 *   const index = yield* barrier.wait(); // 0, 1 or 2
 *   yield* proceed();
 * }
 * ```
 */
export class Barrier extends LoopBound {
  private readonly condition = new Condition();
  private readonly partyCount: number;
  private state: BarrierState = "filling";
  private count = 0;

  constructor(parties: number) {
    super();
    this.partyCount = checkInteger(parties, "Barrier parties", 1);
  }

  /** How many tasks the barrier waits for. */
  get parties(): number {
    return this.partyCount;
  }

  /** How many tasks are waiting now. */
  get nWaiting(): number {
    return this.state === "filling" ? this.count : 0;
  }

  /** Whether the barrier is broken (aborted). */
  get broken(): boolean {
    return this.state === "broken";
  }

  /**
   * Waits until `parties` tasks wait, then returns this task's arrival index
   * (0 … parties-1). `BrokenBarrierError` if the barrier is broken or reset meanwhile.
   */
  wait(): AwaitableCoro<number> {
    return this.waitCoro() as AwaitableCoro<number>;
  }

  /** Returns the barrier to its empty state; tasks waiting get `BrokenBarrierError`. */
  reset(): AwaitableCoro<void> {
    return this.resetCoro() as AwaitableCoro<void>;
  }

  /** Breaks the barrier: current and future waits fail with `BrokenBarrierError`. */
  abort(): AwaitableCoro<void> {
    return this.abortCoro() as AwaitableCoro<void>;
  }

  override toString(): string {
    return `<Barrier [${this.state}, waiters:${this.nWaiting}/${this.partyCount}]>`;
  }

  private *waitCoro(): Coro<number> {
    this.loop();
    using _held = yield* this.condition.hold();
    // Wait while the previous round drains or a reset completes.
    yield* this.condition.waitFor(() => this.state !== "draining" && this.state !== "resetting");
    if (this.state === "broken") throw new BrokenBarrierError("Barrier aborted: abort() was called; make a new Barrier.");
    try {
      const index = this.count++;
      if (index + 1 === this.partyCount) {
        // The last to arrive releases the others.
        this.state = "draining";
        this.condition.notifyAll();
      } else {
        yield* this.condition.waitFor(() => this.state !== "filling");
        const state = this.state as BarrierState; // changed while waiting
        if (state === "broken" || state === "resetting") {
          throw new BrokenBarrierError("Barrier aborted or reset while this task waited.");
        }
      }
      return index;
    } finally {
      this.count--;
      this.exit();
    }
  }

  /** The last task out of a draining or resetting barrier lets the next round fill. */
  private exit(): void {
    if (this.count === 0) {
      if (this.state === "resetting" || this.state === "draining") this.state = "filling";
      this.condition.notifyAll();
    }
  }

  private *resetCoro(): Coro<void> {
    this.loop();
    using _held = yield* this.condition.hold();
    if (this.count > 0) {
      if (this.state !== "resetting") this.state = "resetting";
    } else {
      this.state = "filling";
    }
    this.condition.notifyAll();
  }

  private *abortCoro(): Coro<void> {
    this.loop();
    using _held = yield* this.condition.hold();
    this.state = "broken";
    this.condition.notifyAll();
  }
}

makeMethodAwaitable(Barrier.prototype, "waitCoro");
makeMethodAwaitable(Barrier.prototype, "resetCoro");
makeMethodAwaitable(Barrier.prototype, "abortCoro");
