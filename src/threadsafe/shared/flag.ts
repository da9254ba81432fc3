/**
 * A flag in shared memory: the state of a `ThreadSafeEvent`. `set()` grants every
 * queued waiter, on every thread, in one section.
 */
import type { AwaitableCoro } from "../../futures/awaitable.js";
import { type TryFirstPlan, tryFirst } from "../../futures/try-first.js";
import { NOT_NOW, SharedCore, type WaitPlan } from "./core.js";
import { GRANTED } from "./gate.js";

const SET = 0;

export class SharedFlag {
  private readonly plan: WaitPlan<boolean>;
  private readonly waitFirst: TryFirstPlan<boolean>;

  private constructor(readonly core: SharedCore) {
    const region = core.region;
    this.plan = {
      attempt: () => (region.field(SET) !== 0 ? true : NOT_NOW),
      granted: () => true,
      failed: () => new Error("asyncio-ts internal error: an event wait cannot fail"),
    };
    this.waitFirst = core.firstPlan(0, this.plan);
  }

  static create(what: string): SharedFlag {
    return new SharedFlag(SharedCore.create(1, what));
  }

  static attach(buffer: unknown, slot: unknown, what: string): SharedFlag {
    return new SharedFlag(SharedCore.attach(buffer, 1, slot, what));
  }

  get buffer(): SharedArrayBuffer {
    return this.core.region.buffer;
  }

  isSet(): boolean {
    return this.core.region.peek(SET) !== 0;
  }

  set(): void {
    const core = this.core;
    core.criticalOrLater(() => {
      core.region.setField(SET, 1);
      core.gates[0]!.settleAll(GRANTED, 0, (slot) => core.wake(slot));
    });
  }

  clear(): void {
    this.core.criticalOrLater(() => this.core.region.setField(SET, 0));
  }

  /** Waits until it is set (an `await` of one set already makes no task). */
  wait(): AwaitableCoro<boolean> {
    return tryFirst(this.waitFirst);
  }

  /** The thread in `slot` died: its waits are withdrawn (nothing else to give back). */
  threadDied(slot: number): void {
    this.core.forgetDeadThread(slot, () => {}, () => {});
  }
}
