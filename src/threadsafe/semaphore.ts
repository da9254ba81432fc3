import type { Coro } from "../futures/coroutine.js";
import { awaitable } from "../futures/awaitable.js";
import { watchMethod } from "../futures/never-awaited.js";
import { BoundedSemaphore, Semaphore } from "../sync/semaphore.js";
import { checkInteger, checkOptions } from "../validate.js";
import type { Holder } from "./message-backend.js";
import { type SharedAcquirableState, ThreadSafeAcquirable } from "./acquirable.js";
import { SharedPermits } from "./shared/permits.js";
import { ATTACHING, type ThreadSafeBackend, ThreadSafeObject, checkBackend } from "./thread-safe-object.js";

/** Options of `ThreadSafeSemaphore`. */
export interface ThreadSafeSemaphoreOptions {
  /** Where the state lives (see `ThreadSafeBackend`). */
  backend?: ThreadSafeBackend;
}

/**
 * A semaphore shared by threads, as asyncio's `Semaphore` is by tasks: `value`
 * permits for all threads together, FIFO across threads, cancellation-safe waits.
 * When a thread ends holding permits, its permits come back.
 * `locked()` off the owning thread is a snapshot as of that thread's last operation.
 *
 * @example
 * ```ts
 * const downloads = new ThreadSafeSemaphore(4); // at most 4 at once, over every worker
 * yield* pool.starmap("download", urls.map((url) => [url, downloads]));
 * // in each worker: yield* withLock(downloads, () => fetchOne(url));
 * ```
 */
export class ThreadSafeSemaphore extends ThreadSafeAcquirable {
  protected override local: Semaphore | null = null;
  /** On the owner: permits each other thread holds now. */
  private readonly heldBy = new Map<Holder, number>();

  protected get kind(): string {
    return "Semaphore";
  }

  constructor(value = 1, options: ThreadSafeSemaphoreOptions = {}) {
    super();
    if ((value as unknown) === ATTACHING) return;
    checkInteger(value, `${this.constructor.name} initial value (permits)`, 0);
    checkOptions(options, this.constructor.name);
    if (checkBackend(options.backend, this.constructor.name) === "shared") {
      const shared = SharedPermits.create({ value, bounded: this.isBounded() }, `a ${this.constructor.name}`);
      this.shared = shared;
      this.ownShared((slot) => shared.threadDied(slot));
      return;
    }
    this.local = this.makeSemaphore(value);
    this.own(
      (holder) => this.operationsFor(holder),
      (holder) => this.holderDied(holder),
    );
  }

  /** @internal */
  protected attachShared(buffer: unknown, slot: unknown, what: string): SharedAcquirableState {
    return SharedPermits.attach(buffer, slot, what);
  }

  /** @internal */
  protected makeSemaphore(value: number): Semaphore {
    return new Semaphore(value);
  }

  /** @internal */
  protected isBounded(): boolean {
    return false;
  }

  /**
   * Gives a permit back. On the owning thread errors (a bounded semaphore's
   * over-release) are raised here; elsewhere the release is sent and a refusal
   * reaches this loop's exception handler.
   */
  release(): void {
    if (this.shared !== null) this.shared.release();
    else if (this.local !== null) this.local.release();
    else this.sendAndReport("release");
  }

  /** @internal */
  _acquire(): Coro<boolean> {
    // Where the state is at hand, its acquire as it is: one that need not wait makes no task when awaited.
    if (this.shared !== null) return this.shared.acquire();
    return this.local !== null ? this.local.acquire() : this.acquireFromOwner();
  }

  private *acquireFromOwner(): Coro<boolean> {
    this.lockedSnapshot = (yield* this.client!.call<unknown>("acquire")) === true;
    return true;
  }

  private operationsFor(holder: Holder): object {
    const semaphore = this.local!;
    const held = this.heldBy;
    return {
      *acquire(): Coro<boolean> {
        yield* semaphore.acquire();
        held.set(holder, (held.get(holder) ?? 0) + 1);
        return semaphore.locked();
      },
      release(): void {
        semaphore.release();
        const count = held.get(holder) ?? 0;
        if (count > 1) held.set(holder, count - 1);
        else held.delete(holder);
      },
    };
  }

  protected override holdsSomething(holder: Holder): boolean {
    return this.heldBy.has(holder) || super.holdsSomething(holder);
  }

  /** A dead thread's permits come back. */
  private holderDied(holder: Holder): void {
    const count = this.heldBy.get(holder) ?? 0;
    this.heldBy.delete(holder);
    for (let i = 0; i < count; i++) this.local!.release();
  }
}

/**
 * A `ThreadSafeSemaphore` that refuses to be released more times than it was
 * acquired (`ValueError`), as asyncio's `BoundedSemaphore`.
 *
 * @example
 * ```ts
 * const slots = new ThreadSafeBoundedSemaphore(2);
 * ```
 */
export class ThreadSafeBoundedSemaphore extends ThreadSafeSemaphore {
  protected override get kind(): string {
    return "BoundedSemaphore";
  }

  protected override makeSemaphore(value: number): Semaphore {
    return new BoundedSemaphore(value);
  }

  protected override isBounded(): boolean {
    return true;
  }
}

awaitable(ThreadSafeSemaphore.prototype["acquireFromOwner"]);
watchMethod(ThreadSafeSemaphore.prototype, "acquire"); // in debug mode: an acquire() never awaited is reported

for (const [kind, Class] of [
  ["Semaphore", ThreadSafeSemaphore],
  ["BoundedSemaphore", ThreadSafeBoundedSemaphore],
] as const) {
  ThreadSafeObject._registerKind(kind, (client, fields) => new Class(ATTACHING as never)._attach(client, fields));
}

