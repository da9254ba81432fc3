/**
 * Permits in shared memory, FIFO over every thread: the state of a `ThreadSafeLock`
 * (one permit, a holder, poison) and of a `ThreadSafeSemaphore` (n permits,
 * optionally bounded). A release hands the permit straight to the first waiter, so
 * a newcomer cannot barge in ahead of it; each slot's count of permits says what a
 * dead thread gives back.
 */
import { LockOwnerDiedError, RuntimeError, ValueError } from "../../errors.js";
import type { Coro } from "../../futures/coroutine.js";
import { NOT_NOW, SharedCore, type WaitPlan } from "./core.js";
import { FAILED } from "./gate.js";

const AVAILABLE = 0;
/** 0: no bound; else the most permits there may be (a bounded semaphore's initial value). */
const BOUND = 1;
/** A lock's holder slot (0: free). */
const HOLDER = 2;
const POISONED = 3;
const IS_LOCK = 4;

/** Why a wait failed. */
const POISON = 1;

export interface PermitsOptions {
  value: number;
  bounded: boolean;
  lock: boolean;
}

export class SharedPermits {
  private readonly plan: WaitPlan<boolean>;

  private constructor(readonly core: SharedCore) {
    const region = core.region;
    this.isLock = region.peek(IS_LOCK) !== 0;
    this.plan = {
      attempt: () => {
        if (region.field(POISONED) !== 0) throw this.poisonError();
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
      failed: () => this.poisonError(),
      passOn: () => this.handOn(),
    };
  }

  static create(options: PermitsOptions, what: string): SharedPermits {
    const core = SharedCore.create(1, what);
    const region = core.region;
    core.critical(() => {
      region.setField(AVAILABLE, options.value);
      region.setField(BOUND, options.bounded ? options.value : 0);
      region.setField(IS_LOCK, options.lock ? 1 : 0);
    });
    return new SharedPermits(core);
  }

  static attach(buffer: unknown, slot: unknown, what: string): SharedPermits {
    return new SharedPermits(SharedCore.attach(buffer, 1, slot, what));
  }

  get buffer(): SharedArrayBuffer {
    return this.core.region.buffer;
  }

  /** Fixed when it was made. */
  private readonly isLock: boolean;

  /**
   * `slot` took a permit. A semaphore counts it against the slot (what a dead
   * thread gives back); a lock's holder field says it all, and a count beside it
   * would cost two journaled writes a cycle for nothing.
   */
  private took(slot: number): void {
    if (this.isLock) this.core.region.setField(HOLDER, slot);
    else this.core.region.addPerSlot(slot, 1);
  }

  /** Gives one permit to the first waiter, or back to the pool (inside a section). */
  private handOn(): void {
    const region = this.core.region;
    const slot = this.core.gates[0]!.grantFirst();
    if (slot !== 0) {
      this.core.wake(slot);
      if (this.isLock) region.setField(HOLDER, slot);
    } else {
      region.setField(AVAILABLE, region.field(AVAILABLE) + 1);
      if (this.isLock) region.setField(HOLDER, 0);
    }
  }

  private poisonError(): LockOwnerDiedError {
    return new LockOwnerDiedError("A thread ended while it held this ThreadSafeLock: what it guards may be half-updated. Check it, then call lock.recover().");
  }

  /** Whether `acquire()` would wait: no permit left, or others wait ahead. */
  locked(): boolean {
    const region = this.core.region;
    if (region.peek(AVAILABLE) === 0) return true;
    return this.core.critical(() => this.core.gates[0]!.hasWaiting());
  }

  /** The wait itself (returned, not wrapped: one generator less per acquire). */
  acquire(): Coro<boolean> {
    return this.core.wait(0, this.plan);
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
    if (this.isLock) {
      if (region.field(HOLDER) === 0 && region.field(AVAILABLE) > 0) throw new RuntimeError("Lock is not acquired: release() must follow a successful acquire().");
    } else {
      const bound = region.field(BOUND);
      if (bound > 0 && region.field(AVAILABLE) >= bound) throw new ValueError("BoundedSemaphore released too many times: each release() must match an acquire().");
      this.core.region.countOneLess(this.core.slot);
    }
    this.handOn();
  };

  /** Clears a lock's poison and releases it. */
  recover(): void {
    this.core.criticalOrLater(() => {
      const region = this.core.region;
      if (region.field(POISONED) === 0) return;
      region.setField(POISONED, 0);
      region.setField(HOLDER, 0);
      this.handOn();
    });
  }

  /**
   * The thread in `slot` died (on the creating thread): a semaphore gets its permits
   * back; a lock it held is released or, with `poison`, poisoned — every waiter and
   * every later acquire fails with `LockOwnerDiedError` until `recover()`.
   */
  threadDied(slot: number, poison: boolean): void {
    const core = this.core;
    const region = core.region;
    core.forgetDeadThread(
      slot,
      () => {
        if (!this.isLock) {
          for (let held = region.perSlot(slot); held > 0; held--) this.handOn();
          return;
        }
        if (region.field(HOLDER) !== slot) return;
        if (!poison) {
          this.handOn();
          return;
        }
        region.setField(POISONED, 1);
        core.gates[0]!.settleAll(FAILED, POISON, (waiter) => core.wake(waiter));
      },
      () => this.handOn(),
    );
  }
}
