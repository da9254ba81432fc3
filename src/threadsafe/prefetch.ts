/**
 * A holder's gets of a `ThreadSafeQueue` with `prefetch`: one fetch brings up to a
 * batch of items — from the owner over messages, or from shared memory in one
 * section — and the gets of this thread take them from here, in order, without a
 * message or a section each.
 *
 * Items fetched are taken from the queue's point of view (they count as got by
 * this thread until marked done). So that they are not stranded here:
 * - a fetch that waits is made only for a get that waits here, and withdrawn
 *   (cancelled) when the last such get gives up, so an idle thread holds no wait
 *   open on the queue;
 * - items no get took within `GIVE_BACK_MS` go back to the head of the queue, for
 *   the other threads;
 * - the batch grows while this thread keeps up (doubling, up to `prefetch`) and
 *   shrinks when it had to give items back, so a slow consumer fetches one at a time;
 * - when a get leaves less than half a batch here, the next batch is asked for
 *   ahead, without waiting (it brings what is there, maybe nothing): the gets go
 *   on while it travels, instead of waiting a round trip per batch.
 *
 * A get woken with an item and cancelled before it ran passes the item on to the
 * next get here, as the queue itself does.
 */
import { DataCloneError, describeValue } from "../errors.js";
import type { Future } from "../futures/future.js";
import type { Coro } from "../futures/coroutine.js";
import type { TimerHandle } from "../loop/handles.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import type { MessageClient } from "./message-backend.js";
import type { SharedItems } from "./shared/items.js";

/** How long fetched items may wait here for a get before they go back (ms). */
export const GIVE_BACK_MS = 20;
/** What `takeNow` returns when no fetched item is here. */
export const NONE_FETCHED: unique symbol = Symbol("none fetched");
/** The largest batch a queue may be made to prefetch. */
export const MAX_PREFETCH = 1024;

/** Where a thread's prefetching gets take their batches from. */
export interface PrefetchSource {
  /**
   * Takes up to `count` items: waiting for the first when `wait` (a get waits
   * here), else what is there, maybe none (asked ahead). Cancelling it withdraws
   * the wait; what it took already still comes.
   */
  fetch(count: number, wait: boolean): Future<unknown>;
  /** The items of what `fetch` brought, or `null` if it is not a batch (it came from another thread). */
  itemsOf(fetched: unknown): unknown[] | null;
  /** Items no get took: back to the head of the queue, no longer counted against this thread. */
  giveBack(items: unknown[]): void;
}

/** Fetching from the thread that owns the queue, over this thread's channel to it. */
export function fetchingFromOwner<State>(client: MessageClient, onState: (state: State) => void): PrefetchSource {
  return {
    fetch: (count, wait) => client.call<unknown>("getMany", [count, wait]),
    itemsOf: (reply) => {
      const items = Array.isArray(reply) ? reply[0] : undefined;
      if (!Array.isArray(items)) return null;
      onState((reply as [unknown, State])[1]);
      return items;
    },
    // If the owner is gone there is nobody to give them to.
    giveBack: (items) => {
      if (!client.ownerGone) client.tell("giveBack", [items]);
    },
  };
}

/** Fetching from shared memory: a batch is taken in one section of the queue's mutex. */
export function fetchingShared(shared: SharedItems): PrefetchSource {
  return {
    fetch: (count, wait) => {
      const loop = getRunningLoop();
      if (wait) return loop.createTask(shared.getMany(count));
      const ahead = loop.createFuture<unknown>();
      try {
        ahead.setResult(shared.getManyNowait(count));
      } catch (error) {
        ahead.setException(error); // shut down and empty: the gets that wait here see it
      }
      return ahead;
    },
    itemsOf: (items) => items as unknown[],
    giveBack: (items) => shared.giveBack(items as Uint8Array[]),
  };
}

export class PrefetchingGets {
  /** Fetched items (in wire form) no get has taken yet, in order. */
  private readonly fetched: unknown[] = [];
  /** Gets of this thread waiting for an item, in order. */
  private readonly waiting: Future<unknown>[] = [];
  private fetch: Future<unknown> | null = null;
  /** Whether the fetch out is one asked for ahead (it may bring nothing). */
  private fetchingAhead = false;
  /** How many items the next fetch asks for. */
  private batch = 1;
  private loop: EventLoop | null = null;
  private giveBackTimer: TimerHandle | null = null;
  /** Gets served since the give-back timer was armed. */
  private served = 0;

  constructor(
    private readonly source: PrefetchSource,
    private readonly limit: number,
  ) {}

  /** The next item, in wire form. */
  *get(): Coro<unknown> {
    if (this.waiting.length === 0 && this.fetched.length > 0) {
      this.served++;
      const item = this.fetched.shift();
      if (this.fetch === null && this.fetched.length < this.batch >> 1) this.startFetch(false);
      return item;
    }
    const loop = (this.loop ??= getRunningLoop());
    const waiter = loop.createFuture<unknown>();
    this.waiting.push(waiter);
    this.fetchIfNeeded();
    try {
      return yield* waiter;
    } catch (error) {
      const at = this.waiting.indexOf(waiter);
      if (at >= 0) this.waiting.splice(at, 1);
      else if (waiter.done() && !waiter.cancelled() && waiter.exception() === undefined) this.fetched.unshift(waiter.result()); // woken, then cancelled: the item goes on
      this.deliver();
      // Nobody here waits any more: withdraw the fetch (what it took already is kept).
      if (this.waiting.length === 0) this.fetch?.cancel();
      throw error;
    }
  }

  private fetchIfNeeded(): void {
    if (this.fetch === null && this.waiting.length > 0) this.startFetch(true);
  }

  /** Asks the owner for a batch; `wait`: for a get that waits here (else ahead of need). */
  private startFetch(wait: boolean): void {
    const fetch = this.source.fetch(this.batch, wait);
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
    const reply = fetch.result();
    const items = this.source.itemsOf(reply);
    if (items === null || (items.length === 0 && !this.fetchingAhead) || items.length > this.batch) {
      const refusal = new DataCloneError(`The thread that owns a ThreadSafeQueue answered a get with ${describeValue(reply)}, not a batch of at most ${this.batch} items.`);
      for (const waiter of this.waiting.splice(0)) waiter.setException(refusal);
      return;
    }
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
    this.source.giveBack(items);
  };

  /**
   * A fetched item no get waits for, taken at once (`getNowait`, `getBlocking`:
   * items here come before any still in the queue), or `NONE_FETCHED`.
   */
  takeNow(): unknown {
    if (this.waiting.length > 0 || this.fetched.length === 0) return NONE_FETCHED;
    this.served++;
    return this.fetched.shift();
  }
}
