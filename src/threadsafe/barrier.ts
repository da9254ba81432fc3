import { BrokenBarrierError, ProtocolError, describeValue } from "../errors.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import { watchMethod } from "../futures/never-awaited.js";
import type { Coro } from "../futures/coroutine.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { Barrier } from "../sync/barrier.js";
import { checkInteger, checkOptions } from "../validate.js";
import type { Holder } from "./message-backend.js";
import { SharedMeeting } from "./shared/meeting.js";
import type { SharedCore } from "./shared/core.js";
import { ATTACHING, type Client, type ThreadSafeBackend, ThreadSafeObject, checkBackend, countFrom } from "./thread-safe-object.js";

/** Options of `ThreadSafeBarrier`. */
export interface ThreadSafeBarrierOptions {
  /** Where the state lives (see `ThreadSafeBackend`). */
  backend?: ThreadSafeBackend;
}

/** What another thread knows of the barrier: a snapshot taken at its last operation. */
interface BarrierState {
  nWaiting: number;
  broken: boolean;
}

/**
 * A meeting point for `parties` tasks on any threads, as asyncio's `Barrier`:
 * `wait()` returns once `parties` of them wait, each with its arrival index;
 * `reset()` and `abort()` break the waits with `BrokenBarrierError` everywhere.
 * If a thread that has waited on it ends, the barrier breaks.
 * On the message backend `nWaiting` and `broken` off the creating thread are a
 * snapshot; on the shared backend they are exact everywhere.
 *
 * @example
 * ```ts
 * const phase = new ThreadSafeBarrier(4);
 * yield* gather(...workers.map((w) => w.api.simulate(phase))); // each: yield* phase.wait() between steps
 * ```
 */
export class ThreadSafeBarrier extends ThreadSafeObject {
  private local: Barrier | null = null;
  private partyCount = 0;
  /** On the owner: the threads that have waited on it (their death breaks it). */
  private readonly parts = new Set<Holder>();
  private snapshot: BarrierState = { nWaiting: 0, broken: false };
  /** On the shared backend, on every thread. */
  private shared: SharedMeeting | null = null;

  protected get kind(): string {
    return "Barrier";
  }

  constructor(parties: number, options: ThreadSafeBarrierOptions = {}) {
    super();
    if ((parties as unknown) === ATTACHING) return;
    this.partyCount = checkInteger(parties, "ThreadSafeBarrier parties", 1);
    checkOptions(options, "ThreadSafeBarrier");
    if (checkBackend(options.backend, "ThreadSafeBarrier") === "shared") {
      const shared = (this.shared = SharedMeeting.create(parties, "a ThreadSafeBarrier"));
      this.ownShared((slot) => shared.threadDied(slot));
      return;
    }
    const barrier = new Barrier(parties);
    this.local = barrier;
    const parts = this.parts;
    const state = (): BarrierState => this.state();
    this.own(
      (holder) => ({
        *wait(): Coro<[number, BarrierState]> {
          parts.add(holder);
          return [yield* barrier.wait(), state()];
        },
        *reset(): Coro<BarrierState> {
          yield* barrier.reset();
          return state();
        },
        *abort(): Coro<BarrierState> {
          yield* barrier.abort();
          return state();
        },
      }),
      (holder) => {
        // abort() is a coroutine (it takes the barrier's condition): run it as a task.
        if (parts.delete(holder) && !barrier.broken) getRunningLoop().createTask(barrier.abort()); // its waiters get BrokenBarrierError
      },
    );
  }

  protected override holdsSomething(holder: Holder): boolean {
    return this.parts.has(holder) || super.holdsSomething(holder);
  }

  /** How many parties it waits for. */
  get parties(): number {
    return this.partyCount;
  }

  /** How many wait now (off the owning thread: a snapshot). */
  get nWaiting(): number {
    if (this.shared !== null) return this.shared.nWaiting;
    return this.local !== null ? this.local.nWaiting : this.snapshot.nWaiting;
  }

  /** Whether it is broken (off the owning thread: a snapshot). */
  get broken(): boolean {
    if (this.shared !== null) return this.shared.broken;
    return this.local !== null ? this.local.broken : this.snapshot.broken;
  }

  /** Waits until `parties` tasks wait, on whichever threads; this one's arrival index. */
  wait(): AwaitableCoro<number> {
    return waitBarrier(this);
  }

  /** Returns it to its empty state; waiting tasks, on every thread, get `BrokenBarrierError`. */
  reset(): AwaitableCoro<void> {
    return changeBarrier(this, "reset");
  }

  /** Breaks it: every `wait()`, now and later, on every thread, fails with `BrokenBarrierError`. */
  abort(): AwaitableCoro<void> {
    return changeBarrier(this, "abort");
  }

  /** @internal */
  *_wait(): Coro<number> {
    if (this.shared !== null) return yield* this.shared.wait();
    if (this.local !== null) return yield* this.local.wait();
    if (this.snapshot.broken) throw new BrokenBarrierError("The barrier is broken: reset() it before waiting again.");
    const [index, state] = yield* this.client!.call<[unknown, unknown]>("wait");
    this.snapshot = barrierStateFrom(state);
    if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) >= this.partyCount) {
      throw new ProtocolError(`The thread that owns this ThreadSafeBarrier answered wait() with ${describeValue(index)}, not an index below its number of parties (${this.partyCount}).`);
    }
    return index as number;
  }

  /** @internal */
  *_change(how: "reset" | "abort"): Coro<void> {
    if (this.shared !== null) yield* this.shared[how]();
    else if (this.local !== null) yield* this.local[how]();
    else this.snapshot = barrierStateFrom(yield* this.client!.call<unknown>(how));
  }

  protected override sharedCore(): SharedCore | null {
    return this.shared?.core ?? null;
  }

  protected wireFields(): Record<string, unknown> {
    if (this.shared !== null) return { parties: this.partyCount, shared: this.shared.buffer };
    return { parties: this.partyCount };
  }

  protected wireState(): unknown {
    return this.shared !== null ? undefined : this.state();
  }

  /** @internal */
  _attach(client: Client, fields: Record<string, unknown>): this {
    this.client = client;
    this.partyCount = Math.max(1, countFrom(fields.parties));
    if (fields.shared !== undefined) {
      this.shared = SharedMeeting.attach(fields.shared, fields.slot, "a ThreadSafeBarrier");
      this.attachedShared();
    }
    this.snapshot = barrierStateFrom(fields.state);
    return this;
  }

  private state(): BarrierState {
    return this.local !== null ? { nWaiting: this.local.nWaiting, broken: this.local.broken } : { ...this.snapshot };
  }
}

const waitBarrier = awaitable(function* waitBarrier(barrier: ThreadSafeBarrier): Coro<number> {
  return yield* barrier._wait();
});

const changeBarrier = awaitable(function* changeBarrier(barrier: ThreadSafeBarrier, how: "reset" | "abort"): Coro<void> {
  yield* barrier._change(how);
});
// In debug mode: a wait(), reset() or abort() never awaited is reported, by these names.
for (const method of ["wait", "reset", "abort"]) watchMethod(ThreadSafeBarrier.prototype, method);

ThreadSafeObject._registerKind("Barrier", (client, fields) => new ThreadSafeBarrier(ATTACHING as never)._attach(client, fields));

/** A barrier's state as another thread sent it, made safe to keep. */
function barrierStateFrom(value: unknown): BarrierState {
  const state = value as Partial<Record<keyof BarrierState, unknown>> | null | undefined;
  return { nWaiting: countFrom(state?.nWaiting), broken: state?.broken === true };
}
