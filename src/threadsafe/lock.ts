import { LockOwnerDiedError, RuntimeError, describeValue } from "../errors.js";
import type { Coro } from "../futures/coroutine.js";
import { type TryFirstPlan, WAIT, tryFirst } from "../futures/try-first.js";
import { awaitable } from "../futures/awaitable.js";
import { watchMethod } from "../futures/never-awaited.js";
import { Lock } from "../sync/lock.js";
import { checkOptions } from "../validate.js";
import { Breaker } from "./breaker.js";
import type { Holder } from "./message-backend.js";
import { ThreadSafeAcquirable } from "./acquirable.js";
import { SharedLock } from "./shared/lock-word.js";
import { ATTACHING, type ThreadSafeBackend, ThreadSafeObject, checkBackend } from "./thread-safe-object.js";

/** Options of `ThreadSafeLock`. */
export interface ThreadSafeLockOptions {
  /** Where the state lives (see `ThreadSafeBackend`). */
  backend?: ThreadSafeBackend;
  /**
   * What happens when a thread ends while it holds the lock: `"poison"` (the
   * default) makes every `acquire()` fail with `LockOwnerDiedError` until some thread
   * calls `recover()`, as a robust mutex does; `"release"` just releases it.
   */
  onOwnerDeath?: "poison" | "release";
}

/** Who holds the lock, as the owner knows it: a holder thread, the owner's own, or nobody. */
type HeldBy = Holder | "owner" | null;

/**
 * A lock shared by threads, as asyncio's `Lock` is by tasks: handed to workers as an
 * ordinary call argument, acquired through each thread's own loop with waits that
 * are cancellable and time out; FIFO across threads (no barging), and a waiter
 * cancelled after it was granted the lock passes it on. Works with `withLock`,
 * `hold()` and `using`.
 *
 * If a thread ends while it holds the lock (see docs/threads.md for how a death is
 * detected), the lock is poisoned: `acquire()` fails with
 * `LockOwnerDiedError` on every thread until one calls `recover()` — or, with
 * `onOwnerDeath: "release"`, it is released. On the message backend `locked()` off
 * the creating thread is a snapshot as of that thread's last operation on it; on
 * the shared backend it is exact everywhere, and `acquireBlocking` serves code
 * without a loop.
 *
 * @example
 * ```ts
 * const lock = new ThreadSafeLock();
 * yield* Promise.all([a.api.appendTo(file, lock), b.api.appendTo(file, lock)]);
 * // in each worker:
 * function* appendTo(file: FileHandle, lock: ThreadSafeLock): Coro<void> {
 *   using _held = yield* lock.hold();
 *   yield* ensureFuture(file.appendFile("line\n"));
 * }
 * ```
 */
export class ThreadSafeLock extends ThreadSafeAcquirable {
  /** On the owner: the lock itself. */
  protected override local: Lock | null = null;
  /** On the shared backend, on every thread: the state itself. */
  protected declare shared: SharedLock | null;
  private heldBy: HeldBy = null;
  private onOwnerDeath: "poison" | "release" = "poison";
  private readonly poisoned = new Breaker();

  protected get kind(): string {
    return "Lock";
  }

  constructor(options: ThreadSafeLockOptions = {}) {
    super();
    if ((options as unknown) === ATTACHING) return;
    checkOptions(options, "ThreadSafeLock");
    const backend = checkBackend(options.backend, "ThreadSafeLock");
    const onOwnerDeath = options.onOwnerDeath ?? "poison";
    if (onOwnerDeath !== "poison" && onOwnerDeath !== "release") {
      throw new TypeError(`ThreadSafeLock option onOwnerDeath is "poison" or "release", got ${describeValue(onOwnerDeath)}`);
    }
    this.onOwnerDeath = onOwnerDeath;
    if (backend === "shared") {
      const shared = SharedLock.create(`a ${this.constructor.name}`);
      this.shared = shared;
      this.ownShared((slot) => shared.threadDied(slot, onOwnerDeath === "poison"));
      return;
    }
    this.local = new Lock();
    this.own(
      (holder) => this.operationsFor(holder),
      (holder) => this.holderDied(holder),
    );
  }

  /**
   * Releases it (any thread may, as any task may in asyncio). On the owning thread a
   * release of a free lock raises `RuntimeError`; elsewhere it is sent, and a refusal
   * reaches this loop's exception handler.
   */
  release(): void {
    if (this.shared !== null) {
      this.shared.release();
      return;
    }
    if (this.local === null) {
      if (!this.lockedSnapshot) throw new RuntimeError("Lock is not acquired: release() must follow a successful acquire().");
      this.lockedSnapshot = false;
      this.sendAndReport("release");
      return;
    }
    this.local.release();
    this.heldBy = null;
  }

  /**
   * Clears the poison left by a thread that died holding the lock, and releases it:
   * call it once the state the lock guards is consistent again.
   */
  recover(): void {
    if (this.shared !== null) {
      this.shared.recover();
      return;
    }
    if (this.local === null) {
      this.sendAndReport("recover");
      return;
    }
    if (this.poisoned.error === null) return;
    this.poisoned.mend();
    this.heldBy = null;
    if (this.local.locked()) this.local.release();
  }

  /** @internal */
  protected attachShared(buffer: unknown, slot: unknown, what: string): SharedLock {
    return SharedLock.attach(buffer, slot, what);
  }

  /** @internal `acquire()`: `LockOwnerDiedError` while it is poisoned (see the class). */
  _acquire(): Coro<boolean> {
    if (this.shared !== null) return this.shared.acquire();
    return this.local !== null ? tryFirst(this.ownerAcquire) : this.acquireFromOwner();
  }

  /** The owner's own acquire: an uncontended one is over at its first step, and an `await` of it makes no task. */
  private readonly ownerAcquire: TryFirstPlan<boolean> = {
    attempt: () => (this.takeAtOnce("owner") ? true : WAIT),
    wait: () => this.ownerAcquireWaiting(),
  };

  private *ownerAcquireWaiting(): Coro<boolean> {
    yield* this.acquireFor("owner");
    return true;
  }

  private *acquireFromOwner(): Coro<boolean> {
    this.lockedSnapshot = (yield* this.client!.call<unknown>("acquire")) === true;
    return true;
  }

  /** Takes the lock for `by` if that needs no wait and it is not poisoned. */
  private takeAtOnce(by: HeldBy): boolean {
    if (this.poisoned.error !== null || !this.local!._takeAtOnce()) return false;
    this.heldBy = by;
    return true;
  }

  /** Takes the lock for `by`, unless it is poisoned first. */
  private *acquireFor(by: HeldBy): Coro<void> {
    if (this.takeAtOnce(by)) return; // uncontended: taken without waiting, so nothing to guard
    const lock = this.local!;
    yield* this.poisoned.guard(lock.acquire(), () => lock.release());
    this.heldBy = by;
  }

  private operationsFor(holder: Holder): object {
    const self = this;
    return {
      *acquire(): Coro<boolean> {
        yield* self.acquireFor(holder);
        return true; // locked, as the holder now knows
      },
      release(): void {
        self.release();
      },
      recover(): void {
        self.recover();
      },
    };
  }

  protected override holdsSomething(holder: Holder): boolean {
    return this.heldBy === holder || super.holdsSomething(holder);
  }

  private holderDied(holder: Holder): void {
    if (this.heldBy !== holder) return;
    if (this.onOwnerDeath === "release") {
      this.release();
      return;
    }
    this.poisoned.break(new LockOwnerDiedError("A thread ended while it held this ThreadSafeLock: what it guards may be half-updated. Check it, then call lock.recover()."));
  }
}

awaitable(ThreadSafeLock.prototype["acquireFromOwner"]);
watchMethod(ThreadSafeLock.prototype, "acquire"); // in debug mode: an acquire() never awaited is reported

ThreadSafeObject._registerKind("Lock", (client, fields) => new ThreadSafeLock(ATTACHING as never)._attach(client, fields));
