/**
 * What every primitive on the shared backend is built from: a `SharedRegion`, its
 * `Gate`s, this thread's `Parker`, critical sections that never wait forever, and
 * one wait algorithm (`wait`, and `waitBlocking` for synchronous code) that every
 * kind describes with a `WaitPlan`.
 */
import { RuntimeError } from "../../errors.js";
import { type TryFirstPlan, WAIT } from "../../futures/try-first.js";
import type { Coro } from "../../futures/coroutine.js";
import type { EventLoop } from "../../loop/event-loop.js";
import { findRunningLoop, getRunningLoop } from "../../loop/running-loop.js";
import { sleep } from "../../tasks/sleep.js";
import { FAILED, GRANTED, Gate, WAITING } from "./gate.js";
import { Parker } from "./parker.js";
import { SharedRegion, canBlock, isSlot, waitAsync } from "./region.js";

/** Waiter records per gate: waits beyond it retry until there is room (FIFO order is then not kept among them). */
const GATE_CAPACITY = 256;
/**
 * How long a synchronous operation waits for the internal mutex before it gives up
 * (ms). A section lasts microseconds, but its thread can be stopped inside it for
 * far longer: a garbage collection, or the scheduler of a loaded machine (a CI run
 * saw one past 50 ms). Waiting is the right answer then, so the budget is set for
 * the one case where waiting does not help: a holder that died and whose creating
 * thread is not cleaning up after it (cleanup comes `DEATH_SETTLE_MS` after it learns
 * of the death).
 */
const SYNC_BUDGET_MS = 5000;
/** How often a synchronous wait for the mutex looks whether its holder is a thread this one knows has died (ms). */
const DEATH_CHECK_MS = 10;
/** A coroutine gives up the mutex for a loop turn after this (ms), so the loop can learn of a dead holder. */
const ASYNC_BUDGET_MS = 2;
/** How often a wait that found its gate full tries again (ms). */
const FULL_RETRY_MS = 2;
/**
 * How long after a thread's death is reported its holdings are cleaned up (ms). A
 * death is reported when `terminate()` is called, and a terminated thread may run
 * on for a moment: cleaning up while it still writes would undo its live section.
 */
const DEATH_SETTLE_MS = 200;

/** Returned by `WaitPlan.attempt` when the wait must queue. */
export const NOT_NOW: unique symbol = Symbol("not now");

/**
 * How one kind's wait goes (every method but `failed` runs inside the critical
 * section). `payload` is what this one wait carries (a put's bytes), handed to
 * `attempt` and `granted`, so that one plan serves every wait without a closure each.
 */
export interface WaitPlan<R, P = undefined> {
  /** The result at once, or `NOT_NOW` to queue a waiter (with `queuedValue()`). */
  attempt(payload: P): R | typeof NOT_NOW;
  /**
   * The wait will outlast this step: a payload that is only good until then (a
   * put's bytes, a view of the codec's scratch buffer) is copied here.
   */
  retain?(payload: P): P;
  /** The value stored with the waiter's record (a barrier's arrival index). */
  queuedValue?(): number;
  /** The waiter was queued (a barrier counts its arrival only then). */
  queued?(): void;
  /** The waiter was granted with `value`: take what was granted. */
  granted(value: number, payload: P): R;
  /** The waiter's record was failed with `code`: the error to throw. */
  failed(code: number): Error;
  /** A waiter still WAITING gave up. */
  gaveUp?(value: number): void;
  /** A waiter gave up after it was granted: pass the grant on. */
  passOn?(value: number): void;
}

export class SharedCore {
  readonly gates: Gate[];
  private readonly parker: Parker;
  private readonly pokes = new Set<number>();
  /** Sections that could not take the mutex at once, run in order by a loop timer. */
  private readonly deferred: (() => void)[] = [];
  private readonly homeLoop = findRunningLoop();
  /** On the creating thread: slots whose death was reported and not yet cleaned up, with when (`performance.now()`). */
  private readonly deaths = new Map<number, number>();

  private constructor(
    readonly region: SharedRegion,
    readonly what: string,
  ) {
    this.gates = Array.from({ length: region.gateCount }, (_, index) => new Gate(region, index));
    this.parker = new Parker(region);
  }

  /** Whether this context has what the shared backend needs. */
  static available(): boolean {
    return typeof SharedArrayBuffer === "function" && typeof waitAsync === "function" && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
  }

  /** New shared state with `gates` waiter rings; this thread takes the first slot. */
  static create(gates: number, what: string): SharedCore {
    const region = SharedRegion.create(gates, GATE_CAPACITY);
    region.useSlot(region.claimFreeSlot(what), what);
    return new SharedCore(region, what);
  }

  /** The state in `buffer`, sent by another thread with the slot it claimed for this one. */
  static attach(buffer: unknown, gates: number, slot: unknown, what: string): SharedCore {
    const region = SharedRegion.attach(buffer, gates, what);
    region.useSlot(slot, what);
    return new SharedCore(region, what);
  }

  /** A slot for a thread this primitive is sent to (see `SharedRegion.claimFreeSlot`). */
  claimSlotForAnotherThread(): number {
    return this.region.claimFreeSlot(this.what);
  }

  /** This thread's slot. */
  get slot(): number {
    return this.region.slot;
  }

  /** Inside a section: wake `slot`'s thread once the section ends. */
  wake(slot: number): void {
    if (slot !== 0) this.pokes.add(slot);
  }

  /**
   * Runs `section` inside the critical section, now, waiting for the mutex if
   * another thread is inside. `RuntimeError` if it stays taken for `SYNC_BUDGET_MS`
   * (its holder died and the creating thread has not cleaned up after it).
   */
  critical<T>(section: () => T): T {
    if (this.deferred.length > 0) this.flushDeferred();
    if (!this.region.tryLock()) this.lockSlowly();
    return this.run(section);
  }

  /**
   * Takes the mutex in synchronous code once a short spin did not. A holder this
   * thread knows has died (it is the creating thread and was told) is rolled back
   * here once the death has settled: this thread is blocked, so the loop timer that
   * would do it cannot run.
   */
  private lockSlowly(): void {
    const deadline = performance.now() + SYNC_BUDGET_MS;
    for (;;) {
      const holder = this.region.holder();
      const died = this.deaths.get(holder);
      if (died !== undefined && performance.now() >= died + DEATH_SETTLE_MS) this.region.recoverDeadHolder(holder);
      if (this.region.lock(DEATH_CHECK_MS)) return;
      if (performance.now() >= deadline) {
        throw new RuntimeError(
          `${this.what}: its shared state stayed locked for ${SYNC_BUDGET_MS / 1000} s. A thread died inside an update of it, and the thread that made it has not undone that update (it does so from its event loop, ${DEATH_SETTLE_MS} ms after it learns of the death): keep that thread's loop running, then try again.`,
        );
      }
    }
  }

  /**
   * Runs `section` inside the critical section now if the mutex can be had, or
   * later, in order with this thread's other deferred sections: for operations that
   * do not wait (a `release()`, a `set()`), which must never fail for the state of
   * another thread. An error of a deferred section reaches the loop's exception handler.
   */
  criticalOrLater(section: () => void): void {
    if (this.deferred.length === 0 && this.region.lock(ASYNC_BUDGET_MS)) {
      this.run(section);
      return;
    }
    this.deferred.push(section);
    if (this.deferred.length === 1) this.loop().callLater(1, this.retryDeferred);
  }

  /** Runs `section` inside the critical section from a coroutine, giving the loop turns while the mutex is taken. */
  *criticalSoon<T>(section: () => T): Coro<T> {
    while (this.deferred.length > 0 || !this.region.lock(ASYNC_BUDGET_MS)) yield* sleep(1);
    return this.run(section);
  }

  private run<T>(section: () => T): T {
    let result: T;
    try {
      result = section();
    } catch (error) {
      this.abandon();
      throw error;
    }
    this.leave();
    return result;
  }

  /** Ends a section: the mutex is freed, then the threads it granted something are woken. */
  private leave(): void {
    this.region.unlock();
    this.sendPokes();
  }

  /** Ends a section that threw: it changes nothing. */
  private abandon(): void {
    this.region.abandon();
    this.pokes.clear();
  }

  private sendPokes(): void {
    if (this.pokes.size === 0) return;
    for (const slot of this.pokes) {
      if (slot === this.region.slot) this.parker.checkSoon();
      else this.region.poke(slot);
    }
    this.pokes.clear();
  }

  private readonly retryDeferred = (): void => {
    this.flushDeferred();
    if (this.deferred.length > 0) this.loop().callLater(1, this.retryDeferred);
  };

  private flushDeferred(): void {
    while (this.deferred.length > 0) {
      if (!this.region.lock(ASYNC_BUDGET_MS)) return;
      const section = this.deferred.shift()!;
      try {
        this.run(section);
      } catch (error) {
        this.loop().callExceptionHandler({ message: `${this.what}: a deferred operation failed`, exception: error });
      }
    }
  }

  /**
   * One wait on gate `gateIndex`, as `plan` describes it: taken at once if it can
   * be; otherwise a FIFO record is queued and this task waits for it to be settled.
   * Cancelled while queued, the record is withdrawn; cancelled after it was granted,
   * the grant is passed on. Nothing is left behind either way.
   */
  *wait<R, P = undefined>(gateIndex: number, plan: WaitPlan<R, P>, payload?: P): Coro<R> {
    const now = this.tryNow(plan, payload);
    if (now !== NOT_NOW) return now;
    // It must wait (or the mutex was taken): attempted again as the waiter is queued.
    return yield* this.waitQueued(this.gates[gateIndex]!, plan, -1, payload as P);
  }

  /**
   * A `tryFirst` plan for waits on gate `gateIndex` as `plan` describes them: its
   * attempt is `tryNow`, its wait is `wait`. Made once by the primitive: then a wait
   * that need not wait costs one small object, and an `await` of it makes no task.
   */
  firstPlan<R>(gateIndex: number, plan: WaitPlan<R>): TryFirstPlan<R> {
    return {
      attempt: () => {
        const now = this.tryNow(plan);
        return now === NOT_NOW ? WAIT : now;
      },
      wait: () => this.wait(gateIndex, plan),
    };
  }

  /**
   * What `wait` does first, alone, and allocating nothing: `plan`'s attempt, if the
   * mutex is free and no section of this thread is deferred; `NOT_NOW` if it must
   * wait, or the mutex was taken (nothing is queued either way).
   */
  tryNow<R, P = undefined>(plan: WaitPlan<R, P>, payload?: P): R | typeof NOT_NOW {
    if (this.deferred.length > 0 || !this.region.tryLock()) return NOT_NOW;
    let now: R | typeof NOT_NOW;
    try {
      now = plan.attempt(payload as P); // as run() does, with no closure to make
    } catch (error) {
      this.abandon();
      throw error;
    }
    this.leave();
    return now;
  }

  /** `wait` once the mutex was taken or the waiter queued (`position`, -1 if not yet). */
  private *waitQueued<R, P>(gate: Gate, plan: WaitPlan<R, P>, position: number, payload: P): Coro<R> {
    if (plan.retain !== undefined) payload = plan.retain(payload);
    let now: R | typeof NOT_NOW = NOT_NOW;
    const attemptOrQueue = (): number => {
      now = plan.attempt(payload);
      return now === NOT_NOW ? this.queue(gate, plan) : -1;
    };
    if (position === -1) position = yield* this.criticalSoon(attemptOrQueue);
    while ((now as R | typeof NOT_NOW) === NOT_NOW && position === -1) {
      yield* sleep(FULL_RETRY_MS); // the ring is full: try again
      position = yield* this.criticalSoon(attemptOrQueue);
    }
    if ((now as R | typeof NOT_NOW) !== NOT_NOW) return now as R;
    let settled = false;
    try {
      for (;;) {
        yield* this.parker.until(() => gate.stateAt(position) !== WAITING);
        const outcome = yield* this.criticalSoon(() => this.collect(gate, position, plan, payload as P));
        if (outcome === null) continue; // a grant rolled back after its granter died
        settled = true;
        if ("error" in outcome) throw outcome.error;
        return outcome.result;
      }
    } finally {
      if (!settled) this.criticalOrLater(() => this.giveUp(gate, position, plan));
    }
  }

  /** Inside a section: queues this thread's waiter; its position, or -1 if the ring is full. */
  private queue<R, P>(gate: Gate, plan: WaitPlan<R, P>): number {
    const position = gate.enqueue(this.region.slot, plan.queuedValue?.() ?? 0);
    if (position !== -1) plan.queued?.();
    return position;
  }

  /**
   * Inside a section: the waiter at `position` takes its outcome, or `null` if it
   * still waits. An error of `plan.granted` is an outcome too (the grant was taken:
   * a queue shut down meanwhile), so the record is never left granted to nobody.
   */
  private collect<R, P>(gate: Gate, position: number, plan: WaitPlan<R, P>, payload: P): { result: R } | { error: unknown } | null {
    const state = gate.collect(position);
    if (state === WAITING) return null;
    const value = gate.valueAt(position);
    if (state === FAILED) return { error: plan.failed(value) };
    try {
      return { result: plan.granted(value, payload) };
    } catch (error) {
      return { error };
    }
  }

  private giveUp<R, P>(gate: Gate, position: number, plan: WaitPlan<R, P>): void {
    const value = gate.valueAt(position);
    const state = gate.cancel(position);
    if (state === WAITING) plan.gaveUp?.(value);
    else if (state === GRANTED) plan.passOn?.(value);
  }

  /**
   * The same wait for synchronous code (no loop): sleeps in `Atomics.wait` on this
   * thread's park word, for at most `timeoutMs` (`null`: no limit). Returns
   * `{ timedOut: true }` if it gave up.
   */
  waitBlocking<R, P = undefined>(gateIndex: number, plan: WaitPlan<R, P>, timeoutMs: number | null, what: string, payload?: P): { timedOut: false; result: R } | { timedOut: true } {
    if (!canBlock()) throw new RuntimeError(`${what} cannot block this thread (a browser's main thread may not wait): use the awaitable form.`);
    const deadline = timeoutMs === null ? Infinity : performance.now() + timeoutMs;
    const gate = this.gates[gateIndex]!;
    const region = this.region;
    const park = region.parkIndex(region.slot);
    let position = -1;
    for (;;) {
      let now: R | typeof NOT_NOW = NOT_NOW;
      position = this.critical(() => {
        now = plan.attempt(payload as P);
        return now === NOT_NOW ? this.queue(gate, plan) : -1;
      });
      if (now !== NOT_NOW) return { timedOut: false, result: now };
      if (position !== -1) break;
      if (performance.now() >= deadline) return { timedOut: true };
      Atomics.wait(region.words, park, region.parkValue(region.slot), FULL_RETRY_MS);
    }
    for (;;) {
      const value = region.parkValue(region.slot);
      if (gate.stateAt(position) !== WAITING) {
        const outcome = this.critical(() => this.collect(gate, position, plan, payload as P));
        if (outcome !== null) {
          if ("error" in outcome) throw outcome.error;
          return { timedOut: false, result: outcome.result };
        }
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        const outcome = this.critical(() => {
          // Settled just now: it is this thread's after all.
          if (gate.stateAt(position) !== WAITING) return this.collect(gate, position, plan, payload as P);
          plan.gaveUp?.(gate.valueAt(position));
          gate.cancel(position);
          return null;
        });
        if (outcome === null) return { timedOut: true };
        if ("error" in outcome) throw outcome.error;
        return { timedOut: false, result: outcome.result };
      }
      Atomics.wait(region.words, park, value, Math.min(left, 1000));
    }
  }

  /**
   * On the creating thread, when the thread in `slot` died: if it died inside a
   * section, undo it; then withdraw its waits (passing on grants it never took) and
   * let the kind give back what it held (`cleanUp`, inside the section).
   */
  forgetDeadThread(slot: number, cleanUp: () => void, passOn: (gate: number, value: number) => void): void {
    if (!isSlot(slot)) return; // a slot number comes from another thread's message
    if (!this.deaths.has(slot)) this.deaths.set(slot, performance.now());
    this.loop().callLater(DEATH_SETTLE_MS, () => {
      this.region.recoverDeadHolder(slot);
      this.deaths.delete(slot);
      this.criticalOrLater(() => {
        this.gates.forEach((gate, index) => gate.forgetSlot(slot, (value) => passOn(index, value)));
        cleanUp();
        this.region.freeSlot(slot);
      });
    });
  }

  /** Frees a slot claimed for a thread that turned out to hold the primitive already (it never used it). */
  freeUnusedSlot(slot: number): void {
    if (isSlot(slot)) this.criticalOrLater(() => this.region.freeSlot(slot));
  }

  /** The loop to defer work to: the running one, or (from a host event, e.g. a port closing) the one this was made on. */
  private loop(): EventLoop {
    return findRunningLoop() ?? this.homeLoop ?? getRunningLoop();
  }
}
