/**
 * A holder's gets of a `ThreadSafeQueue` on the message backend with `prefetch`:
 * one call to the owner brings back up to a batch of items, and the gets of this
 * thread take them from here, in order, without a message each.
 *
 * Items fetched are taken from the owner's point of view (they count as got by
 * this thread until marked done). So that they are not stranded here:
 * - a fetch that waits at the owner is made only for a get that waits here, and
 *   withdrawn (cancelled) when the last such get gives up, so an idle thread holds
 *   no call open at the owner;
 * - items no get took within `GIVE_BACK_MS` go back to the head of the queue, for
 *   the other threads;
 * - the batch grows while this thread keeps up (doubling, up to `prefetch`) and
 *   shrinks when it had to give items back, so a slow consumer fetches one at a time;
 * - when a get leaves less than half a batch here, the next batch is asked for
 *   ahead, without waiting at the owner (it brings what is there, maybe nothing):
 *   the gets go on while it travels, instead of waiting a round trip per batch.
 *
 * A get woken with an item and cancelled before it ran passes the item on to the
 * next get here, as the owner's own queue does.
 */
import { DataCloneError, describeValue } from "../errors.js";
import type { Future } from "../futures/future.js";
import type { Coro } from "../futures/coroutine.js";
import type { Task } from "../futures/task.js";
import { type AwaitableCoro } from "../futures/awaitable.js";
import { type TryFirstPlan, WAIT, tryFirst } from "../futures/try-first.js";
import type { TimerHandle } from "../loop/handles.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import type { MessageClient } from "./message-backend.js";

/** How long fetched items may wait here for a get before they go back (ms). */
export const GIVE_BACK_MS = 20;
/** The largest batch a queue may be made to prefetch. */
export const MAX_PREFETCH = 1024;

export class PrefetchingGets<State> {
  /** Fetched items (in wire form) no get has taken yet, in order. */
  private readonly fetched: unknown[] = [];
  /** Gets of this thread waiting for an item, in order. */
  private readonly waiting: Future<unknown>[] = [];
  private fetch: Task<unknown> | null = null;
  /** Whether the fetch out is one asked for ahead (it may bring nothing). */
  private fetchingAhead = false;
  /** How many items the next fetch asks for. */
  private batch = 1;
  private loop: EventLoop | null = null;
  private giveBackTimer: TimerHandle | null = null;
  /** Gets served since the give-back timer was armed. */
  private served = 0;

  constructor(
    private readonly client: MessageClient,
    private readonly limit: number,
    /** The owner's state, sent with each batch. */
    private readonly onState: (state: State) => void,
    /** An item from its wire form, as a get returns it. */
    private readonly decode: (wire: unknown) => unknown = (wire) => wire,
  ) {}

  /** The next item (an `await` of one fetched already makes no task: see tryFirst). */
  get(): AwaitableCoro<unknown> {
    return tryFirst(this.getPlan);
  }

  /** What `get()` runs: an item fetched already is taken in the first step; else the get waits for one. */
  readonly getPlan: TryFirstPlan<unknown> = {
    attempt: () => {
      const wire = this.takeAtOnce();
      return wire === WAIT ? WAIT : this.decode(wire);
    },
    wait: () => this.waitForItem(),
  };

  /** The next item, in wire form, if one fetched is here and no get of this thread waits before it; else `WAIT`. */
  private takeAtOnce(): unknown {
    if (this.waiting.length > 0 || this.fetched.length === 0) return WAIT;
    this.served++;
    const item = this.fetched.shift();
    if (this.fetch === null && this.fetched.length < this.batch >> 1) this.startFetch(false);
    return item;
  }

  /** Waits for the next item: one fetched for it, in the order the gets came. */
  private *waitForItem(): Coro<unknown> {
    const loop = (this.loop ??= getRunningLoop());
    const waiter = loop.createFuture<unknown>();
    this.waiting.push(waiter);
    this.fetchIfNeeded();
    let wire: unknown;
    try {
      wire = yield* waiter;
    } catch (error) {
      const at = this.waiting.indexOf(waiter);
      if (at >= 0) this.waiting.splice(at, 1);
      else if (waiter.done() && !waiter.cancelled() && waiter.exception() === undefined) this.fetched.unshift(waiter.result()); // woken, then cancelled: the item goes on
      this.deliver();
      // Nobody here waits any more: withdraw the fetch (what it took already is kept).
      if (this.waiting.length === 0) this.fetch?.cancel();
      throw error;
    }
    return this.decode(wire); // taken: an item that does not decode fails this get alone
  }

  private fetchIfNeeded(): void {
    if (this.fetch === null && this.waiting.length > 0) this.startFetch(true);
  }

  /** Asks the owner for a batch; `wait`: for a get that waits here (else ahead of need). */
  private startFetch(wait: boolean): void {
    const fetch = this.client.call<unknown>("getMany", [this.batch, wait]);
    this.fetch = fetch;
    this.fetchingAhead = !wait;
    fetch.addDoneCallback(this.onFetched);
  }

  private readonly onFetched = (fetch: Future<unknown>): void => {
    this.fetch = null;
    if (fetch.cancelled()) {
      this.fetchIfNeeded(); // a get came after the withdrawal
      return;
    }
    const error = fetch.exception();
    if (error !== undefined) {
      // QueueShutDown (shut down and drained) or the owner's end: every waiting get sees it.
      for (const waiter of this.waiting.splice(0)) waiter.setException(error);
      return;
    }
    const reply = fetch.result() as [unknown, State];
    const items = Array.isArray(reply) ? reply[0] : undefined;
    if (!Array.isArray(items) || (items.length === 0 && !this.fetchingAhead) || items.length > this.batch) {
      const refusal = new DataCloneError(`The thread that owns a ThreadSafeQueue answered a get with ${describeValue(reply)}, not a batch of at most ${this.batch} items.`);
      for (const waiter of this.waiting.splice(0)) waiter.setException(refusal);
      return;
    }
    this.onState(reply[1]);
    if (items.length === this.batch && this.fetched.length === 0) this.batch = Math.min(this.batch * 2, this.limit);
    for (const item of items) this.fetched.push(item);
    this.deliver();
    this.fetchIfNeeded();
    if (this.fetched.length > 0 && this.giveBackTimer === null) this.armGiveBack();
  };

  /** Hands fetched items to the waiting gets, in order. */
  private deliver(): void {
    while (this.waiting.length > 0 && this.fetched.length > 0) {
      this.served++;
      this.waiting.shift()!.setResult(this.fetched.shift());
    }
  }

  private armGiveBack(): void {
    this.served = 0;
    this.giveBackTimer = this.loop!.callLater(GIVE_BACK_MS, this.onGiveBackTimer);
  }

  private readonly onGiveBackTimer = (): void => {
    this.giveBackTimer = null;
    if (this.fetched.length === 0) return;
    if (this.served > 0) {
      this.armGiveBack(); // still being taken: look again later
      return;
    }
    const items = this.fetched.splice(0);
    this.batch = Math.max(1, this.batch >> 1);
    // If the owner is gone there is nobody to give them to.
    if (!this.client.ownerGone) this.client.tell("giveBack", [items]);
  };
}
