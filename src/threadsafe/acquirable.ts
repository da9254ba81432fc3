import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import type { Coro } from "../futures/coroutine.js";
import { type Guard, holdGuard } from "../sync/hold.js";
import { type Client, ThreadSafeObject } from "./thread-safe-object.js";

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

  /** Whether `acquire()` would wait now (off the owning thread: a snapshot as of this thread's last operation). */
  locked(): boolean {
    return this.local !== null ? this.local.locked() : this.lockedSnapshot;
  }

  /** Waits until it can be taken, then takes it; `true`. Cancellable while it waits. */
  acquire(): AwaitableCoro<boolean> {
    return acquireIt(this);
  }

  /** Acquires it and returns a `Guard` that lets it go (`using _held = yield* it.hold()`). */
  hold(): AwaitableCoro<Guard> {
    return holdGuard(this);
  }

  /** Lets it go. */
  abstract release(): void;

  /** @internal */
  abstract _acquire(): Coro<boolean>;

  protected wireFields(): Record<string, unknown> {
    return { locked: this.locked() };
  }

  /** @internal Rebuilds a holder on another thread. */
  _attach(client: Client, fields: Record<string, unknown>): this {
    this.client = client;
    this.lockedSnapshot = fields.locked === true;
    return this;
  }
}

const acquireIt = awaitable(function* acquireIt(it: ThreadSafeAcquirable): Coro<boolean> {
  return yield* it._acquire();
});
