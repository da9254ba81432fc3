import { QueueEmpty, QueueFull, RuntimeError, ValueError, describeValue } from "../errors.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import { watchMethod } from "../futures/never-awaited.js";
import { type TryFirstPlan, WAIT, tryFirst } from "../futures/try-first.js";
import type { Coro } from "../futures/coroutine.js";
import { type Comparator, PriorityQueue } from "../queues/priority-queue.js";
import { LifoQueue } from "../queues/lifo-queue.js";
import { Queue } from "../queues/queue.js";
import { QueueIterator } from "../queues/queue-iterator.js";
import { checkOptions, checkTimeout } from "../validate.js";
import { Breaker } from "./breaker.js";
import { MAX_PREFETCH, PrefetchingGets } from "./prefetch.js";
import { type Codec, type CodecName, type QueueCodec, codecNamed } from "./codec.js";
import { SharedItems, lostError } from "./shared/items.js";
import type { Holder } from "./message-backend.js";
import { ServedLater } from "../threads/served-later.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { NOT_NOW, type SharedCore } from "./shared/core.js";
import { ATTACHING, type Client, type ThreadSafeBackend, ThreadSafeObject, checkBackend, countFrom } from "./thread-safe-object.js";

/** Options of `ThreadSafeQueue` (and its LIFO and priority forms). */
export interface ThreadSafeQueueOptions {
  /** The most items it holds (0, the default: no limit); a full queue makes `put` wait, on every thread. */
  maxsize?: number;
  /** Where the state lives (see `ThreadSafeBackend`). */
  backend?: ThreadSafeBackend;
  /** How items are copied between threads (see `CodecName` and `defineQueueCodec`). */
  codec?: CodecName | QueueCodec;
  /**
   * On the message backend, the most items a thread other than the creating one
   * fetches with one message (1, the default: one per get; at most 1024). Its gets
   * then take them in order without a message each: for a consumer that keeps up,
   * many times the throughput. Items fetched count as got by that thread (the
   * others' `qsize()` leaves them out, and `join()` waits for them to be marked
   * done); those no get took within 20 ms go back to the head of the queue, and the
   * batch starts at one item and doubles while the thread keeps up. FIFO queues
   * only; on the shared backend every get takes its item from shared memory anyway.
   */
  prefetch?: number;
}

/** What another thread knows of the queue: a snapshot taken at its last operation. */
interface QueueState {
  size: number;
  unfinished: number;
  shutDown: boolean;
}

/**
 * A `QueueState` as it travels, with every answer of the owner: a tuple, since Node
 * clones an object of a message at about a microsecond and an array of numbers at
 * a fraction of that. Read back with `stateFrom`, which checks it.
 */
type StateWire = readonly [size: number, unfinished: number, shutDown: boolean];

type Kind = "Queue" | "LifoQueue" | "PriorityQueue";

/** A put's item, and its bytes once encoded (shared backend) by whichever step comes first. */
interface PutArg<T> {
  item: T;
  bytes: Uint8Array | null;
}

/** A queue's `put()` and `get()` where they can be over at once (see `ThreadSafeQueue.plansAtOnce`); null: a call every time. */
interface AtOncePlans<T> {
  readonly put: TryFirstPlan<void, PutArg<T>> | null;
  readonly get: TryFirstPlan<T>;
}

/**
 * A queue shared by threads, as asyncio's `Queue` is by tasks: created on one thread
 * and handed to workers as an ordinary call argument (`worker.api.consume(queue)`),
 * each thread puts and gets through its own loop, with waits that are cancellable,
 * time out and join TaskGroups as usual. FIFO per producer, no item lost or
 * duplicated — a cancelled `get` takes nothing, a cancelled `put` adds nothing —
 * `maxsize` bounds it for every thread (backpressure across threads), `taskDone` and
 * `join` count what was put, and `shutdown` wakes waiting `put`s and `get`s on every
 * thread with `QueueShutDown`. Every item is a copy (see `codec`).
 *
 * On the message backend the creating thread owns the state. There `qsize`,
 * `empty`, `full`, `putNowait` and `getNowait` are exact; on other threads the first
 * three are a snapshot as of that thread's last operation on the queue, and the
 * `Nowait` forms are refused (use `put`/`get`, or `waitFor(queue.get(), 0)`). If
 * the owner's thread ends, the queue fails on every other thread with
 * `WorkerCrashedError`; if another thread ends holding items it got but did not
 * mark done, `join()` fails with `WorkerCrashedError` instead of waiting
 * forever.
 *
 * @example
 * ```ts
 * const jobs = new ThreadSafeQueue<Job>({ maxsize: 100 });
 * const pool = new WorkerPool<typeof api>(makeWorker, { size: 4 });
 * const consumers = [1, 2, 3, 4].map(() => pool.api.consume(jobs)); // each worker: for (;;) handle(yield* jobs.get())
 * for (const job of allJobs) yield* jobs.put(job); // waits while 100 are queued
 * yield* jobs.join();
 * jobs.shutdown();
 * ```
 */
export class ThreadSafeQueue<T> extends ThreadSafeObject implements AsyncIterable<T> {
  protected get kind(): Kind {
    return "Queue";
  }
  /** On the owner: the queue itself, holding each item in the form `toStored` gives. */
  private local: Queue<unknown> | null = null;
  /** On the others: the state as of this thread's last operation. */
  private snapshot: QueueState = { size: 0, unfinished: 0, shutDown: false };
  private codec!: Codec;
  private limit!: number;
  /** On the owner: items other threads got and did not mark done yet, per thread. */
  private takenBy: Map<Holder, number> | null = null;
  /** On the owner: broken when a thread died holding items; `join()` then fails. */
  private readonly lost = new Breaker();
  /** On the shared backend, on every thread: the queue itself. */
  private shared: SharedItems | null = null;
  /** On the message backend: the batch another thread's get may fetch (see the option). */
  private prefetch = 1;
  /** On the message backend, off the owner, with `prefetch` > 1: this thread's gets. */
  private prefetching: PrefetchingGets<unknown> | null = null;
  /**
   * What `put()` and `get()` run where they can be over at once (the shared backend,
   * the message backend's owner, a prefetching thread's gets), made once on first
   * use; null where every operation is a call to the owner.
   */
  private atOnce: AtOncePlans<T> | null | undefined = undefined;

  constructor(options: ThreadSafeQueueOptions = {}) {
    super();
    if ((options as unknown) === ATTACHING) return; // a holder on another thread: see _attach
    checkOptions(options, this.constructor.name);
    const backend = this.chooseBackend(options);
    this.codec = codecNamed(options.codec);
    this.prefetch = this.checkPrefetch(options.prefetch);
    this.local = this.makeQueue(options.maxsize ?? 0, options); // validates maxsize as Queue does
    this.limit = this.local.maxsize;
    if (backend === "shared") {
      const shared = (this.shared = SharedItems.create(this.limit, this.kind === "LifoQueue", `a ThreadSafe${this.kind}`));
      this.local = null;
      this.ownShared((slot) => shared.threadDied(slot));
      return;
    }
    this.takenBy = new Map();
    this.own(
      (holder) => this.operationsFor(holder),
      (holder) => this.holderDied(holder),
    );
  }

  /** @internal Which backend it gets (a priority queue keeps its order on one thread: messages). */
  protected chooseBackend(options: ThreadSafeQueueOptions): "shared" | "message" {
    return checkBackend(options.backend, this.constructor.name);
  }

  /** @internal Validates the `prefetch` option. */
  protected checkPrefetch(prefetch: unknown): number {
    if (prefetch === undefined) return 1;
    if (this.kind !== "Queue" && prefetch !== 1) {
      throw new TypeError(`${this.constructor.name}: prefetch takes items ahead in FIFO order, but this queue decides at each get which item comes next; leave prefetch out`);
    }
    if (typeof prefetch !== "number" || !Number.isInteger(prefetch)) throw new TypeError(`${this.constructor.name} option prefetch is an integer, got ${describeValue(prefetch)}`);
    if (prefetch < 1 || prefetch > MAX_PREFETCH) throw new ValueError(`${this.constructor.name} option prefetch is between 1 (no prefetch) and ${MAX_PREFETCH}, got ${prefetch}`);
    return prefetch;
  }

  /** @internal The owner's queue (the LIFO and priority forms make theirs). */
  protected makeQueue(maxsize: number, _options: ThreadSafeQueueOptions): Queue<unknown> {
    return new Queue(maxsize);
  }

  /** The most items the queue holds (0: no limit). */
  get maxsize(): number {
    return this.limit;
  }

  /**
   * How many items are in the queue (on the message backend, off the creating
   * thread: a snapshot, see the class). On the shared backend it is read without
   * the queue's mutex, so it may count a put still in progress on another thread;
   * a put that thread died in counts until the creating thread undoes it, about
   * 200 ms after the death. So do not drain with `while (!queue.empty())
   * yield* queue.get()` after a producer thread died; use `getNowait()` until
   * `QueueEmpty`: it reads only finished puts. On the creating thread it undoes
   * the dead thread's put itself once the death has settled (so it may block for
   * up to 200 ms); on another thread it waits for the creating thread to, and
   * raises a `RuntimeError` after 5 s if that thread's loop does not run.
   *
   * @example
   * ```ts
   * if (queue.qsize() > 100) console.log("the consumers are falling behind");
   * ```
   */
  qsize(): number {
    if (this.shared !== null) return this.shared.qsize();
    return this.local !== null ? this.local.qsize() : this.snapshot.size;
  }

  /** Whether the queue is empty (off the owner: a snapshot). */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /** Whether the queue is full (off the owner: a snapshot). */
  full(): boolean {
    return this.limit > 0 && this.qsize() >= this.limit;
  }

  /** Puts `item` (a copy of it), waiting while the queue is full. `QueueShutDown` once it is shut down. */
  put(item: T): AwaitableCoro<void> {
    const plan = this.plansAtOnce()?.put ?? null;
    return plan !== null ? tryFirst(plan, { item, bytes: null }) : putItem(this, item);
  }

  /** Takes the first item, waiting while the queue is empty. `QueueShutDown` once it is shut down and drained. */
  get(): AwaitableCoro<T> {
    const plans = this.plansAtOnce();
    return plans !== null ? tryFirst(plans.get) : (getItem(this) as AwaitableCoro<T>);
  }

  /**
   * Where the queue's state is at hand (in shared memory, or the owner's own queue),
   * a put or get that need not wait is done in its first step, and an `await` of it
   * makes no task (see tryFirst): a task an item was most of an async consumer's
   * time. So is a get of an item prefetched here. Elsewhere each is a call to the
   * owner, and runs as a task.
   */
  private plansAtOnce(): AtOncePlans<T> | null {
    if (this.atOnce === undefined) {
      if (this.shared !== null) this.atOnce = this.sharedPlans(this.shared);
      else if (this.local !== null) this.atOnce = this.ownerPlans(this.local);
      else if (this.prefetching !== null) this.atOnce = { put: null, get: this.prefetching.getPlan as TryFirstPlan<T> }; // a put is a call
      else this.atOnce = null;
    }
    return this.atOnce;
  }

  /** `bytes`: the item encoded, once, by whichever step comes first (an `await` attempts again in its task). */
  private sharedPlans(shared: SharedItems): AtOncePlans<T> {
    return {
      put: {
        attempt: (put) => (shared.putAtOnce((put.bytes ??= this.codec.toBytes(put.item))) ? undefined : WAIT),
        wait: (put) => shared.put((put.bytes ??= this.codec.toBytes(put.item))),
      },
      get: {
        attempt: () => {
          const bytes = shared.getAtOnce();
          return bytes === NOT_NOW ? WAIT : (this.codec.fromBytes(bytes) as T);
        },
        wait: () => this.sharedGetWaiting(shared),
      },
    };
  }

  private *sharedGetWaiting(shared: SharedItems): Coro<T> {
    return this.codec.fromBytes(yield* shared.get()) as T;
  }

  /**
   * The owner's own put and get, on its `Queue`: the first step is that queue's
   * (asyncio's `put`: full? wait; `get`: empty? wait), and the item is copied (put)
   * only in the step that puts it, so once.
   */
  private ownerPlans(local: Queue<unknown>): AtOncePlans<T> {
    return {
      put: {
        attempt: (put) => {
          if (local.full()) return WAIT;
          local.putNowait(this.toStored(put.item)); // QueueShutDown once shut down
          return undefined;
        },
        wait: (put) => local.put(this.toStored(put.item)),
      },
      get: {
        attempt: () => (local.empty() ? WAIT : (this.fromStored(local.getNowait()) as T)),
        wait: () => this.ownerGetWaiting(local),
      },
    };
  }

  private *ownerGetWaiting(local: Queue<unknown>): Coro<T> {
    return this.fromStored(yield* local.get()) as T;
  }

  /** Puts `item` at once or raises `QueueFull` (on the message backend: on the creating thread only; see the class). */
  putNowait(item: T): void {
    if (this.shared !== null) {
      if (!this.shared.putNowait(this.codec.toBytes(item))) throw new QueueFull(`The queue is full (maxsize ${this.limit}): wait with put(), or get() items first.`);
      return;
    }
    this.ownerOnly("putNowait", "put").putNowait(this.toStored(item));
  }

  /** Takes an item at once or raises `QueueEmpty` (on the message backend: on the creating thread only; see the class). */
  getNowait(): T {
    if (this.shared !== null) {
      const bytes = this.shared.getNowait();
      if (bytes === null) throw new QueueEmpty("The queue is empty: wait with get(), or put() items first.");
      return this.codec.fromBytes(bytes) as T;
    }
    return this.fromStored(this.ownerOnly("getNowait", "get").getNowait()) as T;
  }

  /**
   * Marks an item got from the queue as handled (`join` waits for every one). Off the
   * owner the mark is sent, and a refusal there reaches this loop's exception handler.
   */
  taskDone(): void {
    if (this.shared !== null) {
      this.shared.taskDone();
      return;
    }
    if (this.local !== null) {
      this.local.taskDone();
      return;
    }
    if (this.snapshot.unfinished <= 0) throw new ValueError("taskDone() called too many times: call it once per item taken with get().");
    this.snapshot.unfinished--;
    this.sendAndReport("taskDone");
  }

  /** Waits until every item put has been marked done, on whichever thread. */
  join(): AwaitableCoro<void> {
    return joinQueue(this);
  }

  /**
   * Shuts the queue down for every thread (asyncio 3.13): puts fail with
   * `QueueShutDown`, gets drain what is left and then fail; with `immediate`, what is
   * left is dropped and marked done.
   */
  shutdown(immediate = false): void {
    if (this.shared !== null) {
      this.shared.shutdown(immediate === true);
      return;
    }
    if (this.local !== null) {
      this.local.shutdown(immediate);
      return;
    }
    this.snapshot.shutDown = true;
    this.sendAndReport("shutdown", [immediate === true]);
  }

  /** `for await (const item of queue)`: items until the queue is shut down and drained. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new QueueIterator(this);
  }

  /**
   * For synchronous code in a worker (a CPU loop with no event loop): puts `item`,
   * blocking this thread while the queue is full, for at most `timeoutMs` (`null`:
   * no limit); `false` if the time passed first (nothing was put). Shared backend
   * only; a browser's main thread may not block.
   *
   * @example
   * ```ts
   * for (const row of rows) results.putBlocking(compute(row)); // in a worker's CPU loop
   * ```
   */
  putBlocking(item: T, timeoutMs: number | null = null): boolean {
    const what = `ThreadSafe${this.kind}.putBlocking()`;
    return this.sharedFor(what, "put").putBlocking(this.codec.toBytes(item), checkTimeout(timeoutMs, `${what} timeout`), what);
  }

  /**
   * For synchronous code in a worker: takes the first item, blocking this thread
   * while the queue is empty, for at most `timeoutMs` (`null`: no limit); `QueueEmpty`
   * if the time passed first. Shared backend only.
   *
   * @example
   * ```ts
   * for (;;) handle(jobs.getBlocking()); // until QueueShutDown
   * ```
   */
  getBlocking(timeoutMs: number | null = null): T {
    const what = `ThreadSafe${this.kind}.getBlocking()`;
    const bytes = this.sharedFor(what, "get").getBlocking(checkTimeout(timeoutMs, `${what} timeout`), what);
    if (bytes === null) throw new QueueEmpty(`${what}: no item came within ${timeoutMs} ms.`);
    return this.codec.fromBytes(bytes) as T;
  }

  private sharedFor(what: string, instead: string): SharedItems {
    if (this.shared === null) throw new RuntimeError(`${what} needs the shared backend: this queue was made with backend "message", where a wait must go through the loop; use ${instead}().`);
    return this.shared;
  }

  /** @internal Off the owner on the message backend (elsewhere: see `plansAtOnce`). */
  *_put(item: T): Coro<void> {
    this.snapshot = stateFrom(yield* this.client!.call<unknown>("put", [this.codec.toWire(item)]));
  }

  /** @internal Off the owner on the message backend (elsewhere: see `plansAtOnce`). */
  *_get(): Coro<unknown> {
    const [wire, state] = yield* this.client!.call<[unknown, unknown]>("get");
    this.snapshot = stateFrom(state);
    return this.codec.fromWire(wire);
  }

  /** @internal */
  *_join(): Coro<void> {
    if (this.shared !== null) {
      yield* this.shared.join();
      return;
    }
    if (this.local === null) {
      this.snapshot = stateFrom(yield* this.client!.call<unknown>("join"));
      return;
    }
    yield* this.joinOrLost();
  }

  protected override sharedCore(): SharedCore | null {
    return this.shared?.core ?? null;
  }

  protected override holdsSomething(holder: Holder): boolean {
    return (this.takenBy?.get(holder) ?? 0) > 0 || super.holdsSomething(holder);
  }

  protected wireFields(): Record<string, unknown> {
    if (this.shared !== null) return { maxsize: this.limit, codec: this.codec.name, shared: this.shared.buffer, items: this.shared.dataBuffer };
    return { maxsize: this.limit, codec: this.codec.name, prefetch: this.prefetch };
  }

  protected wireState(): unknown {
    return this.shared !== null ? undefined : this.stateWire();
  }

  /** @internal Rebuilds a holder on another thread. */
  _attach(client: Client, fields: Record<string, unknown>): this {
    this.client = client;
    this.codec = codecNamed(fields.codec);
    this.limit = typeof fields.maxsize === "number" ? fields.maxsize : 0;
    if (fields.shared !== undefined) {
      this.shared = SharedItems.attach(fields.shared, fields.items, fields.slot, `a ThreadSafe${this.kind}`);
      this.attachedShared();
      return this;
    }
    this.snapshot = stateFrom(fields.state);
    const prefetch = fields.prefetch;
    if (typeof prefetch === "number" && Number.isInteger(prefetch) && prefetch > 1) {
      this.prefetch = Math.min(prefetch, MAX_PREFETCH);
      this.prefetching = new PrefetchingGets<unknown>(client, this.prefetch, (state) => (this.snapshot = stateFrom(state)), (wire) => this.codec.fromWire(wire));
    }
    return this;
  }

  /** On the message backend: the state now (the owner), or as this thread last heard it. */
  private stateWire(): StateWire {
    const queue = this.local;
    if (queue === null) return [this.snapshot.size, this.snapshot.unfinished, this.snapshot.shutDown];
    return [queue.qsize(), queue._unfinishedCount, queue.isShutDown];
  }

  /**
   * @internal Whether the owner keeps items in their wire form. With a codec that
   * encodes (json, a user's), the owner then encodes an item once, when it is put,
   * and answers every other thread's get with that form: no decode and encode
   * again per item, which was most of a producing owner's work. The clone codec's
   * wire form is the item itself (the port clones it), kept as a private copy.
   */
  protected keepsWire(): boolean {
    return this.codec.name !== "clone";
  }

  /** The owner's own put: the form the owner keeps, never the caller's object itself. */
  private toStored(item: unknown): unknown {
    return this.keepsWire() ? this.codec.toWire(item) : this.codec.copy(item);
  }

  /** The owner's own get. */
  private fromStored(stored: unknown): unknown {
    return this.keepsWire() ? this.codec.fromWire(stored) : stored;
  }

  /** What another thread put: decoded here all the same, so that a bad wire form is refused to its sender. */
  private storedFromWire(wire: unknown): unknown {
    const item = this.codec.fromWire(wire);
    return this.keepsWire() ? wire : item;
  }

  /** What another thread's get receives. */
  private wireOfStored(stored: unknown): unknown {
    return this.keepsWire() ? stored : this.codec.toWire(stored);
  }

  /** What the owner serves to `holder`'s thread. */
  private operationsFor(holder: Holder): object {
    const queue = this.local!;
    const taken = this.takenBy!;
    const self = this;
    return {
      *put(wire: unknown): Coro<StateWire> {
        yield* queue.put(self.storedFromWire(wire));
        return self.stateWire();
      },
      // A get answers in the step its item comes in: in the owner's put, if it waited.
      get(): ServedLater<[unknown, StateWire]> {
        return serveGet(queue, (stored) => {
          taken.set(holder, (taken.get(holder) ?? 0) + 1);
          return [self.wireOfStored(stored), self.stateWire()];
        });
      },
      // prefetch: the first item when there is one (unless asked ahead: then maybe
      // none), and up to `count` in all of what is there and owed to no get waiting
      // here (none is passed over).
      getMany(count: unknown, wait: unknown): ServedLater<[unknown[], StateWire]> | [unknown[], StateWire] {
        const most = typeof count === "number" && Number.isInteger(count) ? Math.max(1, Math.min(count, self.prefetch)) : 1;
        const batch = (items: unknown[]): [unknown[], StateWire] => {
          while (items.length < most && queue.qsize() > queue._waitingGetters) items.push(self.wireOfStored(queue.getNowait()));
          taken.set(holder, (taken.get(holder) ?? 0) + items.length);
          return [items, self.stateWire()];
        };
        if (wait === false) return batch([]);
        return serveGet(queue, (first) => batch([self.wireOfStored(first)]));
      },
      // Prefetched items no get took: back to the head, no longer counted as taken.
      giveBack(wires: unknown): void {
        const held = taken.get(holder) ?? 0;
        if (!Array.isArray(wires) || wires.length === 0 || wires.length > held) {
          throw new TypeError(`giveBack from another thread: ${describeValue(wires)} is not a list of at most the ${held} item(s) it holds`);
        }
        const items = wires.map((wire) => self.storedFromWire(wire)); // all or nothing: a bad one gives none back
        if (held > items.length) taken.set(holder, held - items.length);
        else taken.delete(holder);
        queue._giveBack(items);
      },
      taskDone(): StateWire {
        queue.taskDone();
        const count = taken.get(holder) ?? 0;
        if (count > 1) taken.set(holder, count - 1);
        else taken.delete(holder);
        return self.stateWire();
      },
      *join(): Coro<StateWire> {
        yield* self.joinOrLost();
        return self.stateWire();
      },
      shutdown(immediate: unknown): StateWire {
        queue.shutdown(immediate === true);
        return self.stateWire();
      },
    };
  }

  /** A thread died: items it got and never marked done can never be; `join()` must not wait for them. */
  private holderDied(holder: Holder): void {
    const count = this.takenBy!.get(holder) ?? 0;
    this.takenBy!.delete(holder);
    if (count === 0 || this.lost.error !== null) return;
    this.lost.break(lostError(count, `a ThreadSafe${this.kind}`));
  }

  private *joinOrLost(): Coro<void> {
    yield* this.lost.guard(this.local!.join());
  }

  private ownerOnly(method: string, instead: string): Queue<unknown> {
    if (this.local === null) {
      throw new RuntimeError(
        `${method}() needs the queue's state at hand: it is on the thread that created this ThreadSafe${this.kind}. Here, use ${instead}() (with waitFor(queue.${instead}(...), 0) for "now or never").`,
      );
    }
    return this.local;
  }

}

/**
 * The owner's answer to another thread's get: `answer` makes it from the item,
 * in the step the item is taken (see `Queue._getWhenWoken`). An error making it
 * fails the call, as an error in a served coroutine would.
 */
function serveGet<R>(queue: Queue<unknown>, answer: (item: unknown) => R): ServedLater<R> {
  const served = new ServedLater<R>(getRunningLoop());
  served.withdraw = queue._getWhenWoken({
    item: (item) => {
      let value: R;
      try {
        value = answer(item);
      } catch (error) {
        served.reject(error);
        return;
      }
      served.resolve(value);
    },
    fail: (error) => served.reject(error),
  });
  return served;
}

const putItem = awaitable(function* putItem<T>(queue: ThreadSafeQueue<T>, item: T): Coro<void> {
  yield* queue._put(item);
});

const getItem = awaitable(function* getItem(queue: ThreadSafeQueue<unknown>): Coro<unknown> {
  return yield* queue._get();
});

const joinQueue = awaitable(function* joinQueue(queue: ThreadSafeQueue<unknown>): Coro<void> {
  yield* queue._join();
});

// In debug mode: a put(), get() or join() never awaited is reported, by these names.
for (const method of ["put", "get", "join"]) watchMethod(ThreadSafeQueue.prototype, method);

/** A queue's state as another thread sent it (see `StateWire`), made safe to keep: a count that is not one reads as 0. */
function stateFrom(value: unknown): QueueState {
  const state: readonly unknown[] = Array.isArray(value) ? value : [];
  return { size: countFrom(state[0]), unfinished: countFrom(state[1]), shutDown: state[2] === true };
}


/** A thread-safe `LifoQueue`: the last item put is got first. Otherwise as `ThreadSafeQueue`. */
export class ThreadSafeLifoQueue<T> extends ThreadSafeQueue<T> {
  protected override get kind(): Kind {
    return "LifoQueue";
  }

  protected override makeQueue(maxsize: number): Queue<unknown> {
    return new LifoQueue(maxsize);
  }
}

/** Options of `ThreadSafePriorityQueue`. */
export interface ThreadSafePriorityQueueOptions<T> extends ThreadSafeQueueOptions {
  /** The order (as `PriorityQueue`'s); it runs on the owning thread only. */
  compare?: Comparator<T>;
}

/**
 * A thread-safe `PriorityQueue`: the smallest item (by `compare`, on the owning
 * thread) is got first. Otherwise as `ThreadSafeQueue`.
 */
export class ThreadSafePriorityQueue<T> extends ThreadSafeQueue<T> {
  protected override get kind(): Kind {
    return "PriorityQueue";
  }

  constructor(options: ThreadSafePriorityQueueOptions<T> = {}) {
    super(options);
  }

  /** Its order (`compare`) is a function, which lives on one thread: the state stays there. */
  protected override chooseBackend(options: ThreadSafeQueueOptions): "shared" | "message" {
    if (options.backend === "shared") {
      throw new TypeError('ThreadSafePriorityQueue: its order (compare) runs on the thread that made it, so it has no shared backend; use "auto" or "message".');
    }
    checkBackend(options.backend, this.constructor.name);
    return "message";
  }

  /** Its order compares the items themselves: it keeps them decoded. */
  protected override keepsWire(): boolean {
    return false;
  }

  protected override makeQueue(maxsize: number, options: ThreadSafePriorityQueueOptions<T>): Queue<unknown> {
    return new PriorityQueue<unknown>({ maxsize, ...(options.compare !== undefined ? { compare: options.compare as Comparator<unknown> } : {}) });
  }
}

for (const [kind, Class] of [
  ["Queue", ThreadSafeQueue],
  ["LifoQueue", ThreadSafeLifoQueue],
  ["PriorityQueue", ThreadSafePriorityQueue],
] as const) {
  ThreadSafeObject._registerKind(kind, (client, fields) => new Class(ATTACHING as never)._attach(client, fields));
}
