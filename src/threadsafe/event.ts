import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import { watchMethod } from "../futures/never-awaited.js";
import type { Coro } from "../futures/coroutine.js";
import { Event } from "../sync/event.js";
import { checkOptions } from "../validate.js";
import { SharedFlag } from "./shared/flag.js";
import type { SharedCore } from "./shared/core.js";
import { ATTACHING, type Client, type ThreadSafeBackend, ThreadSafeObject, checkBackend } from "./thread-safe-object.js";

/** Options of `ThreadSafeEvent`. */
export interface ThreadSafeEventOptions {
  /** Where the state lives (see `ThreadSafeBackend`). */
  backend?: ThreadSafeBackend;
}

/**
 * A flag shared by threads, as asyncio's `Event` is by tasks: `set()` on any thread
 * wakes every waiter on every thread. `isSet()` off the owning thread is a snapshot
 * as of that thread's last operation on it (a `wait()` that returned means it was set).
 *
 * @example
 * ```ts
 * const stop = new ThreadSafeEvent();
 * const workers = [pool.api.crawl(stop), pool.api.crawl(stop)];
 * yield* sleep(60_000);
 * stop.set(); // every worker's wait() returns
 * ```
 */
export class ThreadSafeEvent extends ThreadSafeObject {
  private local: Event | null = null;
  private setSnapshot = false;
  /** On the shared backend, on every thread. */
  private shared: SharedFlag | null = null;

  protected get kind(): string {
    return "Event";
  }

  constructor(options: ThreadSafeEventOptions = {}) {
    super();
    if ((options as unknown) === ATTACHING) return;
    checkOptions(options, "ThreadSafeEvent");
    if (checkBackend(options.backend, "ThreadSafeEvent") === "shared") {
      const shared = (this.shared = SharedFlag.create("a ThreadSafeEvent"));
      this.ownShared((slot) => shared.threadDied(slot));
      return;
    }
    const event = new Event();
    this.local = event;
    this.own(() => ({
      *wait(): Coro<boolean> {
        return yield* event.wait();
      },
      set: (): void => event.set(),
      clear: (): void => event.clear(),
    }));
  }

  /** Whether it is set (on the message backend, off the creating thread: a snapshot). */
  isSet(): boolean {
    if (this.shared !== null) return this.shared.isSet();
    return this.local !== null ? this.local.isSet() : this.setSnapshot;
  }

  /** Sets it and wakes every waiter, on every thread. */
  set(): void {
    if (this.shared !== null) this.shared.set();
    else if (this.local !== null) this.local.set();
    else {
      this.setSnapshot = true;
      this.sendAndReport("set");
    }
  }

  /** Clears it: later `wait()`s, on every thread, block until the next `set()`. */
  clear(): void {
    if (this.shared !== null) this.shared.clear();
    else if (this.local !== null) this.local.clear();
    else {
      this.setSnapshot = false;
      this.sendAndReport("clear");
    }
  }

  /** Waits until it is set; `true`. Cancellable while it waits. */
  wait(): AwaitableCoro<boolean> {
    // Where the state is at hand, its wait as it is: one already set makes no task when awaited.
    if (this.shared !== null) return this.shared.wait();
    return this.local !== null ? this.local.wait() : waitEvent(this);
  }

  /** @internal Off the owner on the message backend (elsewhere `wait()` returns the state's own wait). */
  *_wait(): Coro<boolean> {
    this.setSnapshot = (yield* this.client!.call<unknown>("wait")) === true;
    return true;
  }

  protected override sharedCore(): SharedCore | null {
    return this.shared?.core ?? null;
  }

  protected wireFields(): Record<string, unknown> {
    return this.shared !== null ? { shared: this.shared.buffer } : {};
  }

  protected wireState(): unknown {
    return this.shared !== null ? undefined : this.isSet();
  }

  /** @internal */
  _attach(client: Client, fields: Record<string, unknown>): this {
    this.client = client;
    if (fields.shared !== undefined) {
      this.shared = SharedFlag.attach(fields.shared, fields.slot, "a ThreadSafeEvent");
      this.attachedShared();
    }
    this.setSnapshot = fields.state === true;
    return this;
  }
}

const waitEvent = awaitable(function* waitEvent(event: ThreadSafeEvent): Coro<boolean> {
  return yield* event._wait();
});
watchMethod(ThreadSafeEvent.prototype, "wait"); // in debug mode: a wait() never awaited is reported

ThreadSafeObject._registerKind("Event", (client, fields) => new ThreadSafeEvent(ATTACHING as never)._attach(client, fields));
