import { QueueEmpty, QueueFull, QueueShutDown, ValueError, describeValue } from "../errors.js";
import { type AwaitableCoro, makeMethodAwaitable } from "../futures/awaitable.js";
import { watchMethod } from "../futures/never-awaited.js";
import { type RetryPlan, WAIT, tryFirst } from "../futures/try-first.js";
import type { Coro } from "../futures/coroutine.js";
import { LoopBound } from "../futures/loop-bound.js";
import { QueueIterator } from "./queue-iterator.js";
import { RingBuffer } from "./ring-buffer.js";
import type { Future } from "../futures/future.js";
import { WaiterQueue } from "../futures/waiter-queue.js";

/** The error of a put once the queue is shut down. */
const putRefused = (): QueueShutDown => new QueueShutDown("Queue is shut down: it takes no new items.");
/** The error of a get once the queue is shut down and empty. */
const drained = (): QueueShutDown => new QueueShutDown("Queue is shut down and empty.");

/** @internal Who receives the item of a get made with `Queue._getWhenWoken`. */
export interface WokenGet<T> {
  item(item: T): void;
  fail(error: QueueShutDown): void;
}

/**
 * A FIFO queue for producer and consumer tasks, as asyncio 3.13's `Queue`:
 * `put` waits while the queue is full, `get` waits while it is empty, `join` waits
 * until every item put has been marked done with `taskDone`, and `shutdown` ends it.
 * Cancelling a waiting `get` loses no item, and a cancelled `put` adds nothing.
 * `get` on a non-empty queue and `put` on a non-full one return without yielding.
 *
 * It is an async iterable: `for await (const item of queue)` ends cleanly once the
 * queue is shut down and drained.
 *
 * @example
 * ```ts
 * const queue = new Queue<string>(100);
 * function* producer(): Coro<void> {
 *   for (const url of urls) yield* queue.put(url);
 *   queue.shutdown();
 * }
 * function* consumer(): Coro<void> {
 *   try {
 *     for (;;) { yield* fetchOne(yield* queue.get()); queue.taskDone(); }
 *   } catch (e) { if (!(e instanceof QueueShutDown)) throw e; }
 * }
 * ```
 */
export class Queue<T> extends LoopBound implements AsyncIterable<T> {
  private readonly limit: number;
  private readonly getters = new WaiterQueue<void>(this, "get");
  private readonly putters = new WaiterQueue<void>(this, "put");
  private readonly joiners = new WaiterQueue<void>(this, "join");
  private unfinished = 0;
  /**
   * Gets woken and not yet acted on (asyncio runs them in the order they were
   * woken): a get made by `_getWhenWoken` takes at once only when none is ahead.
   */
  private wokenGetters = 0;
  private isShutdown = false;
  /** Set by `shutdown(true)`: what comes back after it is dropped too. */
  private droppedAll = false;
  // FIFO storage (subclasses replace the four storage methods).
  private readonly items = new RingBuffer<T>();

  /** A queue holding at most `maxsize` items; 0 (the default) means no limit. */
  constructor(maxsize = 0) {
    super();
    if (typeof maxsize !== "number" || Number.isNaN(maxsize) || (!Number.isInteger(maxsize) && maxsize !== Infinity)) {
      throw new TypeError(`Queue expects an integer maxsize, got ${describeValue(maxsize)}`);
    }
    if (maxsize < 0) throw new ValueError(`Queue maxsize must be >= 0 (0 means unbounded), got ${maxsize}`);
    this.limit = maxsize;
  }

  /** The most items the queue holds (0: no limit). */
  get maxsize(): number {
    return this.limit;
  }

  /** @internal Items put and not yet marked done (what `join` waits for). */
  get _unfinishedCount(): number {
    return this.unfinished;
  }

  /** How many items are in the queue. */
  qsize(): number {
    return this.storedCount();
  }

  /** Whether the queue holds no item. */
  empty(): boolean {
    return this.storedCount() === 0;
  }

  /** Whether the queue holds `maxsize` items (never, with no limit). */
  full(): boolean {
    return this.limit > 0 && this.storedCount() >= this.limit;
  }

  /**
   * Puts `item` in, waiting while the queue is full. `QueueShutDown` if it is shut
   * down (before or while waiting). A put cancelled while waiting adds nothing.
   */
  put(item: T): AwaitableCoro<void> {
    return tryFirst(this.putPlan, item);
  }

  /** Puts `item` in now, or throws `QueueFull` / `QueueShutDown`. */
  putNowait(item: T): void {
    if (this.isShutdown) throw putRefused();
    if (this.full()) throw new QueueFull(`Queue is full (maxsize ${this.limit}); wait with put() or retry later.`);
    this.add(item);
  }

  /** Adds an item the checks allowed, and wakes a get for it. */
  private add(item: T): void {
    this.putItem(item);
    this.unfinished++;
    this.wakeGetter();
  }

  /**
   * Takes the next item, waiting while the queue is empty. `QueueShutDown` once the
   * queue is shut down and empty. A get cancelled after it was woken loses nothing:
   * the item stays for the next getter.
   */
  get(): AwaitableCoro<T> {
    return tryFirst(this.getPlan);
  }

  // A put with room, a get with an item: over at the first step, without a
  // generator (see tryFirst). As asyncio's, a woken put (get) checks again, since a
  // task that ran first may have taken the slot (item); the retry loop is
  // tryFirst's, so a wait makes its waiter future and nothing else.
  private readonly putPlan: RetryPlan<void, T> = {
    attempt: (item) => {
      if (this.isShutdown) throw putRefused();
      if (this.full()) return WAIT;
      this.add(item);
      return undefined;
    },
    join: () => {
      if (this.isShutdown) throw putRefused();
      return this.putters.join(this.loop());
    },
    // Cancelled: adds nothing, and a wake-up it got for a free slot goes on.
    abandon: (waiter) => {
      if (this.putters.leave(waiter as Future<void>) && !this.full()) this.putters.wakeNext();
    },
  };

  private readonly getPlan: RetryPlan<T> = {
    attempt: () => (this.empty() ? WAIT : this.take()),
    join: () => {
      if (this.isShutdown) throw drained();
      return this.getters.join(this.loop());
    },
    woken: () => {
      this.wokenGetters--;
      return WAIT; // asyncio's get checks again: a task that ran first may have taken the item
    },
    // Cancelled: takes nothing, and a wake-up it got for an item goes on.
    abandon: (waiter) => {
      if (this.getters.leave(waiter as Future<void>)) {
        this.wokenGetters--;
        if (!this.empty()) this.wakeGetter();
      }
    },
  };

  /** Takes the next item now, or throws `QueueEmpty` / `QueueShutDown`. */
  getNowait(): T {
    if (this.empty()) {
      if (this.isShutdown) throw drained();
      throw new QueueEmpty("Queue is empty; wait with get() or retry later.");
    }
    return this.take();
  }

  /** Takes the next item (there is one), and wakes a put for its slot. */
  private take(): T {
    const item = this.getItem();
    if (this.putters.length > 0) this.putters.wakeNext();
    return item;
  }

  /**
   * Marks one item taken with `get` as processed; `join` returns when every item
   * put has been. `ValueError` if called more often than items were put.
   */
  taskDone(): void {
    if (this.unfinished <= 0) throw new ValueError("taskDone() called too many times: call it once per item taken with get().");
    this.unfinished--;
    if (this.unfinished === 0) this.releaseJoiners();
  }

  /** Waits until every item put has been marked done with `taskDone`. */
  join(): AwaitableCoro<void> {
    return this.joinCoro() as AwaitableCoro<void>;
  }

  /**
   * Shuts the queue down: `put` fails from now on with `QueueShutDown`, `get` fails
   * once the queue is empty, and every blocked putter and getter is woken to see
   * it. With `immediate`, the items still queued are dropped and marked done, so
   * `join` returns.
   */
  shutdown(immediate = false): void {
    this.isShutdown = true;
    if (immediate) {
      this.droppedAll = true;
      while (!this.empty()) {
        this.getItem();
        if (this.unfinished > 0) this.unfinished--;
      }
      if (this.unfinished === 0) this.releaseJoiners();
    }
    // Every waiter re-checks the state and sees the shutdown.
    for (let waiter = this.getters.shift(); waiter !== undefined; waiter = this.getters.shift()) {
      if (waiter.done()) continue;
      this.wokenGetters++;
      waiter.setResult();
    }
    for (let waiter = this.putters.shift(); waiter !== undefined; waiter = this.putters.shift()) if (!waiter.done()) waiter.setResult();
  }

  /** @internal How many gets wait for an item (those woken and not yet served included). */
  get _waitingGetters(): number {
    return this.getters.length + this.wokenGetters;
  }

  /**
   * @internal Items taken ahead of its gets by another thread (a `ThreadSafeQueue`'s
   * prefetch), back at the head in their order: not new puts, so `join`'s count is
   * unchanged and `maxsize` may be passed for a moment. After `shutdown(true)` they
   * are dropped and marked done, as the queued items were. FIFO queues only.
   */
  _giveBack(items: readonly T[]): void {
    if (this.droppedAll) {
      this.unfinished = Math.max(0, this.unfinished - items.length);
      if (this.unfinished === 0) this.releaseJoiners();
      return;
    }
    for (let i = items.length - 1; i >= 0; i--) this.items.unshift(items[i]!);
    for (let i = 0; i < items.length; i++) this.wakeGetter();
  }

  /**
   * @internal A get made for a waiter that is no task of this thread (a
   * `ThreadSafeQueue`'s owner serving another thread's get). `receiver.item` gets
   * the item the moment this get's turn comes: at once if one is there, or else
   * inside the put that wakes it, so the answer can leave without a loop iteration
   * in between. Gets are still served in the order they waited: woken behind a
   * task's get that has not run yet, it takes its item on the loop after that one
   * (asyncio runs woken getters in the order they were woken). `receiver.fail`
   * gets `QueueShutDown` once the queue is shut down and empty. Returns a function
   * that withdraws the get; withdrawn after it was woken, it passes the wake on,
   * as a cancelled get does.
   */
  _getWhenWoken(receiver: WokenGet<T>): () => void {
    const loop = this.loop(); // checked once: the waits and a deferred take use it
    let waiter: Future<void> | null = null;
    /** Woken behind gets woken before it: it acts on the loop, after them. */
    let deferred = false;
    const take = (): void => {
      if (!this.empty()) receiver.item(this.getNowait());
      else if (this.isShutdown) receiver.fail(drained());
      else {
        waiter = this.getters.join(loop);
        waiter._onEnd(onWoken);
      }
    };
    const onWoken = (woken: Future<void>): void => {
      waiter = null;
      if (woken.cancelled()) return; // withdrawn
      if (this.wokenGetters > 1) {
        deferred = true;
        loop._callSoon(takeDeferred, undefined, undefined);
        return;
      }
      this.wokenGetters--;
      take();
    };
    const takeDeferred = (): void => {
      if (!deferred) return; // withdrawn meanwhile
      deferred = false;
      this.wokenGetters--;
      take();
    };
    take();
    return () => {
      if (waiter !== null && !waiter.done()) this.getters.leave(waiter);
      waiter = null;
      if (deferred) {
        // Woken, then withdrawn before it acted: the wake goes on.
        deferred = false;
        this.wokenGetters--;
        if (!this.empty()) this.wakeGetter();
      }
    };
  }

  /** Whether `shutdown()` was called. */
  get isShutDown(): boolean {
    return this.isShutdown;
  }

  /** `for await (const item of queue)`: gets items until the queue is shut down and drained. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new QueueIterator(this);
  }

  override toString(): string {
    return `<${this.constructor.name} maxsize=${this.limit} size=${this.qsize()}${this.isShutdown ? " shutdown" : ""}>`;
  }

  /** @internal Storage: how many items are stored. */
  protected storedCount(): number {
    return this.items.size;
  }

  /** @internal Storage: adds an item. */
  protected putItem(item: T): void {
    this.items.push(item);
  }

  /** @internal Storage: removes and returns the next item (never called when empty). */
  protected getItem(): T {
    return this.items.shift();
  }

  /** Wakes the next get waiting; it counts as woken until it has acted. */
  private wakeGetter(): void {
    if (this.getters.length === 0) return;
    this.wokenGetters++;
    if (!this.getters.wakeNext()) this.wokenGetters--;
  }

  private *joinCoro(): Coro<void> {
    if (this.unfinished === 0) return;
    yield* this.joiners.wait(this.loop());
  }

  private releaseJoiners(): void {
    for (const joiner of this.joiners) if (!joiner.done()) joiner.setResult();
  }
}

watchMethod(Queue.prototype, "put"); // in debug mode: a put() or get() never awaited is reported
watchMethod(Queue.prototype, "get");
makeMethodAwaitable(Queue.prototype, "joinCoro");
