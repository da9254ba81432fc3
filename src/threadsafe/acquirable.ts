import { RuntimeError } from "../errors.js";
import type { AwaitableCoro } from "../futures/awaitable.js";
import type { Coro } from "../futures/coroutine.js";
import { type Guard, holdGuard } from "../sync/hold.js";
import { checkTimeout } from "../validate.js";
import type { SharedCore } from "./shared/core.js";
import type { Holder } from "./message-backend.js";
import { type Client, ThreadSafeObject } from "./thread-safe-object.js";

/** The shared-backend state of a lock (`SharedLock`) or semaphore (`SharedPermits`). */
export interface SharedAcquirableState {
  readonly core: SharedCore;
  readonly buffer: SharedArrayBuffer;
  locked(): boolean;
  /** Whether the thread in `slot` holds the lock, or permits. */
  holds(slot: number): boolean;
  acquire(): Coro<boolean>;
  acquireBlocking(timeoutMs: number | null, what: string): boolean;
  release(): void;
}

/**
 * What a thread-safe lock and semaphore share: `locked()` (exact on the owner, a
 * snapshot elsewhere), `acquire()` as an awaitable coroutine, `hold()` for `using`
 * and `withLock`, and how a holder is rebuilt on another thread.
 */
export abstract class ThreadSafeAcquirable extends ThreadSafeObject {
  /** @internal On the owner: the single-thread primitive. */
  protected local: { locked(): boolean } | null = null;
  /** @internal On a holder: `locked()` as of its last operation. */
  protected lockedSnapshot = false;
  /** @internal On the shared backend, on every thread: the state itself. */
  protected shared: SharedAcquirableState | null = null;

  /**
   * Whether `acquire()` would wait now. Exact on the shared backend; on the message
   * backend, off the creating thread, a snapshot as of this thread's last operation.
   */
  locked(): boolean {
    if (this.shared !== null) return this.shared.locked();
    return this.local !== null ? this.local.locked() : this.lockedSnapshot;
  }

  /**
   * For synchronous code in a worker (a CPU loop with no event loop): takes it,
   * blocking this thread for at most `timeoutMs` (`null`: no limit); `false` if the
   * time passed first. Shared backend only; a browser's main thread may not block.
   *
   * @example
   * ```ts
   * if (lock.acquireBlocking(100)) {
   *   try { updateSharedCounters(); } finally { lock.release(); }
   * }
   * ```
   */
  acquireBlocking(timeoutMs: number | null = null): boolean {
    const what = `${this.constructor.name}.acquireBlocking()`;
    const timeout = checkTimeout(timeoutMs, `${what} timeout`);
    if (this.shared === null) throw new RuntimeError(`${what} needs the shared backend: this one was made with backend "message", where a wait must go through the loop; use acquire().`);
    return this.shared.acquireBlocking(timeout, what);
  }

  /** Waits until it can be taken, then takes it; `true`. Cancellable while it waits. */
  acquire(): AwaitableCoro<boolean> {
    // Every coroutine `_acquire` returns is awaitable already: a tryFirst one, or a generator made awaitable in each kind.
    return this._acquire() as AwaitableCoro<boolean>;
  }

  /** Acquires it and returns a `Guard` that lets it go (`using _held = yield* it.hold()`). */
  hold(): AwaitableCoro<Guard> {
    return holdGuard(this);
  }

  /** Lets it go. */
  abstract release(): void;

  /** @internal The wait of `acquire()`: a coroutine made awaitable (`makeMethodAwaitable`). */
  abstract _acquire(): Coro<boolean>;

  /** @internal The shared state of this kind in `buffer`, sent by another thread with `slot`. */
  protected abstract attachShared(buffer: unknown, slot: unknown, what: string): SharedAcquirableState;

  protected override sharedCore(): SharedCore | null {
    return this.shared?.core ?? null;
  }

  protected override holdsSomething(holder: Holder): boolean {
    return this.shared !== null && this.shared.holds(holder.slot);
  }

  protected wireFields(): Record<string, unknown> {
    return this.shared !== null ? { shared: this.shared.buffer } : {};
  }

  protected wireState(): unknown {
    return this.shared !== null ? undefined : this.locked();
  }

  /** @internal Rebuilds a holder on another thread. */
  _attach(client: Client, fields: Record<string, unknown>): this {
    this.client = client;
    if (fields.shared !== undefined) {
      this.shared = this.attachShared(fields.shared, fields.slot, `a ${this.constructor.name}`);
      this.attachedShared();
    }
    this.lockedSnapshot = fields.state === true;
    return this;
  }
}
