/**
 * A barrier in shared memory: the state of a `ThreadSafeBarrier`, with asyncio's
 * rules. Each arrival takes the next index; the last of `parties` grants every
 * queued waiter at once and the next cycle starts. `reset()` fails the waiters of
 * this cycle; `abort()` breaks it for good. A waiter that gives up leaves the count,
 * as in asyncio.
 */
import { BrokenBarrierError } from "../../errors.js";
import type { Coro } from "../../futures/coroutine.js";
import { NOT_NOW, SharedCore, type WaitPlan } from "./core.js";
import { FAILED, GRANTED } from "./gate.js";

const PARTIES = 0;
/** Arrivals in this cycle. */
const COUNT = 1;
const BROKEN = 2;

/** Why a wait failed. */
const ABORTED = 1;
const RESET = 2;

export class SharedMeeting {
  private readonly plan: WaitPlan<number>;
  private arrival = 0;

  private constructor(readonly core: SharedCore) {
    const region = core.region;
    this.plan = {
      attempt: () => {
        if (region.field(BROKEN) !== 0) throw brokenError(ABORTED);
        region.addPerSlot(core.slot, region.perSlot(core.slot) === 0 ? 1 : 0); // it is part of it now
        const index = region.field(COUNT);
        if (index + 1 < region.field(PARTIES)) {
          this.arrival = index;
          return NOT_NOW;
        }
        region.setField(COUNT, 0);
        core.gates[0]!.settleAll(GRANTED, undefined, (slot) => core.wake(slot));
        return index;
      },
      queuedValue: () => this.arrival,
      queued: () => region.setField(COUNT, this.arrival + 1),
      granted: (index) => index,
      failed: (why) => brokenError(why),
      gaveUp: () => region.setField(COUNT, Math.max(0, region.field(COUNT) - 1)),
    };
  }

  static create(parties: number, what: string): SharedMeeting {
    const core = SharedCore.create(1, what);
    core.critical(() => core.region.setField(PARTIES, parties));
    return new SharedMeeting(core);
  }

  static attach(buffer: unknown, slot: unknown, what: string): SharedMeeting {
    return new SharedMeeting(SharedCore.attach(buffer, 1, slot, what));
  }

  get buffer(): SharedArrayBuffer {
    return this.core.region.buffer;
  }

  get parties(): number {
    return this.core.region.peek(PARTIES);
  }

  get nWaiting(): number {
    return this.core.region.peek(COUNT);
  }

  get broken(): boolean {
    return this.core.region.peek(BROKEN) !== 0;
  }

  *wait(): Coro<number> {
    return yield* this.core.wait(0, this.plan);
  }

  /** Fails this cycle's waiters; the barrier is usable again (asyncio's `reset`). */
  *reset(): Coro<void> {
    yield* this.core.criticalSoon(() => this.failWaiters(RESET));
  }

  /** Breaks it for every thread until `reset()`. */
  *abort(): Coro<void> {
    yield* this.core.criticalSoon(() => this.breakIt());
  }

  private breakIt(): void {
    this.core.region.setField(BROKEN, 1);
    this.failWaiters(ABORTED);
  }

  private failWaiters(why: number): void {
    const core = this.core;
    if (why === RESET) core.region.setField(BROKEN, 0);
    core.region.setField(COUNT, 0);
    core.gates[0]!.settleAll(FAILED, why, (slot) => core.wake(slot));
  }

  /** The thread in `slot` died: if it had waited on the barrier, the barrier breaks. */
  threadDied(slot: number): void {
    const region = this.core.region;
    this.core.forgetDeadThread(
      slot,
      () => {
        if (region.perSlot(slot) > 0 && region.field(BROKEN) === 0) this.breakIt();
      },
      () => {},
    );
  }
}

function brokenError(why: number): BrokenBarrierError {
  return new BrokenBarrierError(why === RESET ? "Barrier reset while this task waited." : "The barrier is broken (aborted, or a thread that waited at it ended): reset() it before waiting again.");
}
