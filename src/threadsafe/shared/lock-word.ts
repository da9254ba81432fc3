/**
 * A `ThreadSafeLock`'s state in shared memory: one word holding the holder's slot,
 * a QUEUED bit and a POISONED bit. While nobody waits, acquire and release are one
 * `compareExchange` each (0 → my slot, my slot → 0), with no critical section.
 *
 * The rules that make that safe beside the FIFO ring of waiters (`Gate`), which
 * lives under the region's mutex:
 * - Outside the mutex the word only ever goes 0 → slot (a fast acquire) or slot → 0
 *   (its holder thread's fast release). A word with QUEUED or POISONED set is
 *   therefore changed only inside a section.
 * - A waiter is queued only in the section that set QUEUED on a held word, so a word
 *   of 0 means nobody waits: a fast acquire never barges past a waiter, and from the
 *   first waiter on every release goes through the section, which hands the lock
 *   straight to the first waiter (the word becomes its slot, QUEUED kept until the
 *   waiter collects its grant and finds nobody behind it).
 * - Each section writes the word once, with `compareExchangeField`, after its other
 *   writes; a rollback of a dead thread's section undoes it only if no fast path
 *   changed it since (see `SharedRegion.compareExchangeField`), and every such
 *   change leaves a consistent lock.
 */
import { LockOwnerDiedError, RuntimeError } from "../../errors.js";
import type { Coro } from "../../futures/coroutine.js";
import { type TryFirstPlan, WAIT, tryFirst } from "../../futures/try-first.js";
import { NOT_NOW, SharedCore, type WaitPlan } from "./core.js";
import { FAILED, type Gate } from "./gate.js";
import { MAX_SLOTS } from "./region.js";

/** The field holding the word. */
const WORD = 0;
const HOLDER = MAX_SLOTS * 2 - 1; // every slot number fits
const QUEUED = MAX_SLOTS * 2;
const POISONED = MAX_SLOTS * 4;

/** Why a wait failed. */
const POISON = 1;

export class SharedLock {
  private readonly plan: WaitPlan<boolean>;
  private readonly acquirePlan: TryFirstPlan<boolean>;
  private readonly words: Int32Array;
  /** Index of the word in `words`. */
  private readonly at: number;
  private readonly slot: number;
  private readonly gate: Gate;

  private constructor(readonly core: SharedCore) {
    const region = core.region;
    this.words = region.words;
    this.at = region.fieldWord(WORD);
    this.slot = core.slot;
    this.gate = core.gates[0]!;
    this.plan = {
      attempt: () => this.takeOrQueue(),
      granted: () => {
        // The lock is this thread's (the word says so): back to the fast path if nobody waits behind.
        const word = this.word();
        if (word === (this.slot | QUEUED) && !this.gate.hasWaiting()) region.compareExchangeField(WORD, word, this.slot);
        return true;
      },
      failed: () => this.poisonError(),
      passOn: () => this.handOn(false),
    };
    this.acquirePlan = {
      attempt: () => (Atomics.compareExchange(this.words, this.at, 0, this.slot) === 0 ? true : WAIT),
      wait: () => this.core.wait(0, this.plan),
    };
  }

  static create(what: string): SharedLock {
    return new SharedLock(SharedCore.create(1, what));
  }

  static attach(buffer: unknown, slot: unknown, what: string): SharedLock {
    return new SharedLock(SharedCore.attach(buffer, 1, slot, what));
  }

  get buffer(): SharedArrayBuffer {
    return this.core.region.buffer;
  }

  private word(): number {
    return Atomics.load(this.words, this.at);
  }

  /** Inside a section: takes the lock, or marks it QUEUED so that its release comes here. */
  private takeOrQueue(): boolean | typeof NOT_NOW {
    const region = this.core.region;
    for (;;) {
      const word = this.word();
      if ((word & POISONED) !== 0) throw this.poisonError();
      if ((word & HOLDER) === 0) {
        if (region.compareExchangeField(WORD, word, this.slot)) return true;
      } else if ((word & QUEUED) !== 0 || region.compareExchangeField(WORD, word, word | QUEUED)) {
        return NOT_NOW;
      }
      // Its holder released it (fast) meanwhile: look again.
    }
  }

  /**
   * Inside a section: gives the lock to the first waiter, or frees it (keeping the
   * poison unless `clearPoison`). False if the word changed under it — a holder's
   * fast release, so the lock was free already.
   */
  private handOn(clearPoison: boolean): boolean {
    const word = this.word();
    const poison = clearPoison ? 0 : word & POISONED;
    // Without QUEUED nobody waits; with it, the word cannot change under this section.
    const next = (word & QUEUED) !== 0 && poison === 0 ? this.gate.grantFirst() : 0;
    if (!this.core.region.compareExchangeField(WORD, word, next !== 0 ? next | QUEUED : poison)) return false;
    this.core.wake(next);
    return true;
  }

  private poisonError(): LockOwnerDiedError {
    return new LockOwnerDiedError("A thread ended while it held this ThreadSafeLock: what it guards may be half-updated. Check it, then call lock.recover().");
  }

  /** Whether the thread in `slot` holds it. */
  holds(slot: number): boolean {
    return (this.word() & HOLDER) === slot;
  }

  /** Whether some thread holds it (exact at that instant). */
  locked(): boolean {
    return (this.word() & HOLDER) !== 0;
  }

  /** The wait itself (awaitable): one compareExchange when the lock is free and nobody waits. */
  acquire(): Coro<boolean> {
    return tryFirst(this.acquirePlan);
  }

  /** `acquire` for synchronous code: `false` if `timeoutMs` passed first. */
  acquireBlocking(timeoutMs: number | null, what: string): boolean {
    return !this.core.waitBlocking(0, this.plan, timeoutMs, what).timedOut;
  }

  /** Releases it (from any thread): one compareExchange if this thread holds it and nobody waits. */
  release(): void {
    if (Atomics.compareExchange(this.words, this.at, this.slot, 0) !== this.slot) this.core.critical(this.releaseSection);
  }

  private readonly releaseSection = (): void => {
    if ((this.word() & HOLDER) === 0 || !this.handOn(false)) throw new RuntimeError("Lock is not acquired: release() must follow a successful acquire().");
  };

  /** Clears the poison and releases it. */
  recover(): void {
    this.core.criticalOrLater(() => {
      if ((this.word() & POISONED) !== 0) this.handOn(true);
    });
  }

  /**
   * The thread in `slot` died (on the creating thread): a lock it held is released
   * or, with `poison`, poisoned — every waiter and every later acquire fails with
   * `LockOwnerDiedError` until `recover()`.
   */
  threadDied(slot: number, poison: boolean): void {
    const core = this.core;
    core.forgetDeadThread(
      slot,
      () => {
        const word = this.word();
        if ((word & HOLDER) !== slot) return;
        if (!poison) {
          this.handOn(false);
          return;
        }
        // Held by a dead thread, the word changes in sections only: this cannot fail.
        core.region.compareExchangeField(WORD, word, word | POISONED);
        this.gate.settleAll(FAILED, POISON, (waiter) => core.wake(waiter));
      },
      () => this.handOn(false),
    );
  }
}

