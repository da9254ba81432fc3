/**
 * Permits in shared memory, FIFO over every thread: the state of a
 * `ThreadSafeSemaphore` (n permits, optionally bounded; a lock has its own, one
 * word: `SharedLock`). A release hands the permit straight to the first waiter, so
 * a newcomer cannot barge in ahead of it; each slot's count of permits says what a
 * dead thread gives back.
 */
import { RuntimeError, ValueError } from "../../errors.js";
import type { AwaitableCoro } from "../../futures/awaitable.js";
import { type TryFirstPlan, tryFirst } from "../../futures/try-first.js";
import { NOT_NOW, SharedCore, type WaitPlan } from "./core.js";

const AVAILABLE = 0;
/** 0: no bound; else the most permits there may be (a bounded semaphore's initial value). */
const BOUND = 1;

export interface PermitsOptions {
  value: number;
  bounded: boolean;
}

export class SharedPermits {
  private readonly plan: WaitPlan<boolean>;
  private readonly acquireFirst: TryFirstPlan<boolean>;

  private constructor(readonly core: SharedCore) {
    const region = core.region;
    this.plan = {
      attempt: () => {
        if (region.field(AVAILABLE) > 0 && !core.gates[0]!.hasWaiting()) {
          region.setField(AVAILABLE, region.field(AVAILABLE) - 1);
          this.took(core.slot);
          return true;
        }
        return NOT_NOW;
      },
      granted: () => {
        this.took(core.slot);
        return true;
      },
      failed: () => new RuntimeError("asyncio-ts internal error: a semaphore's wait cannot fail"),
      passOn: () => this.handOn(),
    };
    this.acquireFirst = core.firstPlan(0, this.plan);
  }

  static create(options: PermitsOptions, what: string): SharedPermits {
    const core = SharedCore.create(1, what);
    const region = core.region;
    core.critical(() => {
      region.setField(AVAILABLE, options.value);
      region.setField(BOUND, options.bounded ? options.value : 0);
    });
    return new SharedPermits(core);
  }

  static attach(buffer: unknown, slot: unknown, what: string): SharedPermits {
    return new SharedPermits(SharedCore.attach(buffer, 1, slot, what));
  }

  get buffer(): SharedArrayBuffer {
    return this.core.region.buffer;
  }

  /** `slot` took a permit: counted against it (what a dead thread gives back). */
  private took(slot: number): void {
    this.core.region.addPerSlot(slot, 1);
  }

  /** Gives one permit to the first waiter, or back to the pool (inside a section). */
  private handOn(): void {
    const region = this.core.region;
    const slot = this.core.gates[0]!.grantFirst();
    if (slot !== 0) this.core.wake(slot);
    else region.setField(AVAILABLE, region.field(AVAILABLE) + 1);
  }

  /** Whether the thread in `slot` holds permits. */
  holds(slot: number): boolean {
    return this.core.region.perSlot(slot) > 0;
  }

  /** Whether `acquire()` would wait: no permit left, or others wait ahead. */
  locked(): boolean {
    const region = this.core.region;
    if (region.peek(AVAILABLE) === 0) return true;
    return this.core.critical(() => this.core.gates[0]!.hasWaiting());
  }

  /** Takes a permit, waiting while there is none (an `await` of one there makes no task). */
  acquire(): AwaitableCoro<boolean> {
    return tryFirst(this.acquireFirst);
  }

  /** `acquire` for synchronous code: `false` if `timeoutMs` passed first. */
  acquireBlocking(timeoutMs: number | null, what: string): boolean {
    return !this.core.waitBlocking(0, this.plan, timeoutMs, what).timedOut;
  }

  /** Gives a permit back (from any thread). */
  release(): void {
    this.core.critical(this.releaseSection);
  }

  private readonly releaseSection = (): void => {
    const region = this.core.region;
    const bound = region.field(BOUND);
    if (bound > 0 && region.field(AVAILABLE) >= bound) throw new ValueError("BoundedSemaphore released too many times: each release() must match an acquire().");
    region.countOneLess(this.core.slot);
    this.handOn();
  };

  /** The thread in `slot` died (on the creating thread): its permits come back. */
  threadDied(slot: number): void {
    const region = this.core.region;
    this.core.forgetDeadThread(
      slot,
      () => {
        for (let held = region.perSlot(slot); held > 0; held--) this.handOn();
      },
      () => this.handOn(),
    );
  }
}
