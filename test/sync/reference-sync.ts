// CPython 3.13's asyncio Lock, Semaphore, BoundedSemaphore, Event, Condition and
// Barrier (Lib/asyncio/locks.py), line for line, on this library's loop and futures: the
// references the optimized primitives are compared with in sync.differential.test.ts.
import { BrokenBarrierError, CancelledError, type Coro, type Future, RuntimeError, ValueError, getRunningLoop } from "../../src/index.js";

function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at === -1) throw new Error("reference: waiter not in its list"); // deque.remove's ValueError
  list.splice(at, 1);
}

export class ReferenceLock {
  private waiters: Future<boolean>[] | null = null;
  private isLocked = false;

  locked(): boolean {
    return this.isLocked;
  }

  *acquire(): Coro<boolean> {
    if (!this.isLocked && (this.waiters === null || this.waiters.every((waiter) => waiter.cancelled()))) {
      this.isLocked = true;
      return true;
    }
    this.waiters ??= [];
    const future = getRunningLoop().createFuture<boolean>();
    this.waiters.push(future);
    try {
      try {
        yield* future;
      } finally {
        remove(this.waiters, future);
      }
    } catch (error) {
      if (error instanceof CancelledError && !this.isLocked) this.wakeUpFirst();
      throw error;
    }
    this.isLocked = true;
    return true;
  }

  release(): void {
    if (!this.isLocked) throw new RuntimeError("Lock is not acquired.");
    this.isLocked = false;
    this.wakeUpFirst();
  }

  private wakeUpFirst(): void {
    const first = this.waiters?.[0];
    if (first !== undefined && !first.done()) first.setResult(true);
  }
}

export class ReferenceSemaphore {
  private waiters: Future<boolean>[] | null = null;

  constructor(protected value = 1) {}

  locked(): boolean {
    return this.value === 0 || (this.waiters ?? []).some((waiter) => !waiter.cancelled());
  }

  *acquire(): Coro<boolean> {
    if (!this.locked()) {
      this.value--;
      return true;
    }
    this.waiters ??= [];
    const future = getRunningLoop().createFuture<boolean>();
    this.waiters.push(future);
    try {
      try {
        yield* future;
      } finally {
        remove(this.waiters, future);
      }
    } catch (error) {
      if (error instanceof CancelledError && future.done() && !future.cancelled()) this.value++;
      throw error;
    } finally {
      while (this.value > 0) if (!this.wakeUpNext()) break;
    }
    return true;
  }

  release(): void {
    this.value++;
    this.wakeUpNext();
  }

  private wakeUpNext(): boolean {
    for (const future of this.waiters ?? []) {
      if (!future.done()) {
        this.value--;
        future.setResult(true);
        return true;
      }
    }
    return false;
  }
}

export class ReferenceBoundedSemaphore extends ReferenceSemaphore {
  private readonly bound: number;

  constructor(value = 1) {
    super(value);
    this.bound = value;
  }

  override release(): void {
    if (this.value >= this.bound) throw new ValueError("BoundedSemaphore released too many times");
    super.release();
  }
}

export class ReferenceEvent {
  private readonly waiters: Future<boolean>[] = [];
  private value = false;

  isSet(): boolean {
    return this.value;
  }

  set(): void {
    if (this.value) return;
    this.value = true;
    for (const future of this.waiters) if (!future.done()) future.setResult(true);
  }

  clear(): void {
    this.value = false;
  }

  *wait(): Coro<boolean> {
    if (this.value) return true;
    const future = getRunningLoop().createFuture<boolean>();
    this.waiters.push(future);
    try {
      yield* future;
      return true;
    } finally {
      remove(this.waiters, future);
    }
  }
}

export class ReferenceCondition {
  private readonly lock = new ReferenceLock();
  private readonly waiters: Future<boolean>[] = [];

  locked(): boolean {
    return this.lock.locked();
  }

  acquire(): Coro<boolean> {
    return this.lock.acquire();
  }

  release(): void {
    this.lock.release();
  }

  *wait(): Coro<boolean> {
    if (!this.locked()) throw new RuntimeError("cannot wait on un-acquired lock");
    const future = getRunningLoop().createFuture<boolean>();
    this.release();
    try {
      try {
        this.waiters.push(future);
        try {
          yield* future;
          return true;
        } finally {
          remove(this.waiters, future);
        }
      } finally {
        // Must re-acquire the lock even if the wait is cancelled.
        let cancelled: unknown = null;
        for (;;) {
          try {
            yield* this.acquire();
            break;
          } catch (error) {
            if (!(error instanceof CancelledError)) throw error;
            cancelled = error;
          }
        }
        if (cancelled !== null) throw cancelled;
      }
    } catch (error) {
      // May have been notified before the error: notify another instead.
      this.notifyFirst(1);
      throw error;
    }
  }

  notify(n = 1): void {
    if (!this.locked()) throw new RuntimeError("cannot notify on un-acquired lock");
    this.notifyFirst(n);
  }

  notifyAll(): void {
    this.notify(this.waiters.length);
  }

  private notifyFirst(n: number): void {
    let woken = 0;
    for (const future of this.waiters) {
      if (woken >= n) break;
      if (!future.done()) {
        woken++;
        future.setResult(false);
      }
    }
  }
}

type BarrierState = "filling" | "draining" | "resetting" | "broken";

/** CPython 3.13's Barrier, on the reference Condition. */
export class ReferenceBarrier {
  private readonly condition = new ReferenceCondition();
  private state: BarrierState = "filling";
  private count = 0;

  constructor(readonly parties: number) {}

  get nWaiting(): number {
    return this.state === "filling" ? this.count : 0;
  }

  get broken(): boolean {
    return this.state === "broken";
  }

  *wait(): Coro<number> {
    yield* this.condition.acquire();
    try {
      yield* this.block();
      const index = this.count;
      this.count++;
      try {
        if (index + 1 === this.parties) this.release();
        else yield* this.waitReleased();
        return index;
      } finally {
        this.count--;
        this.exit();
      }
    } finally {
      this.condition.release();
    }
  }

  private *block(): Coro<void> {
    while (this.state === "draining" || this.state === "resetting") yield* this.condition.wait();
    if (this.state === "broken") throw new BrokenBarrierError("Barrier aborted");
  }

  private release(): void {
    this.state = "draining";
    this.condition.notifyAll();
  }

  private *waitReleased(): Coro<void> {
    while (this.state === "filling") yield* this.condition.wait();
    if (this.state === "broken" || this.state === "resetting") throw new BrokenBarrierError("Abort or reset of barrier");
  }

  private exit(): void {
    if (this.count === 0) {
      if (this.state === "resetting" || this.state === "draining") this.state = "filling";
      this.condition.notifyAll();
    }
  }

  *reset(): Coro<void> {
    yield* this.condition.acquire();
    try {
      if (this.count > 0) {
        if (this.state !== "resetting") this.state = "resetting";
      } else this.state = "filling";
      this.condition.notifyAll();
    } finally {
      this.condition.release();
    }
  }

  *abort(): Coro<void> {
    yield* this.condition.acquire();
    try {
      this.state = "broken";
      this.condition.notifyAll();
    } finally {
      this.condition.release();
    }
  }
}
