import { QueueShutDown, ValueError, WorkerCrashedError, describeValue } from "../errors.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import type { Coro } from "../futures/coroutine.js";
import type { Future } from "../futures/future.js";
import { Task } from "../futures/task.js";
import { WaiterQueue } from "../futures/waiter-queue.js";
import type { EventLoop, Executor } from "../loop/event-loop.js";
import type { TimerHandle } from "../loop/handles.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { gather } from "../tasks/gather.js";
import { type CallArgs, type CallResult, type ExposedName, type RemoteApi } from "./remote.js";
import { AsCompletedIterator, asCompleted } from "../tasks/as-completed.js";
import { RemoteCallTask } from "./remote-call-task.js";
import { checkDelay, checkInteger, checkOptions, checkString } from "../validate.js";
import { WorkerHandle, type WorkerObject, spawnWorker } from "./spawn-worker.js";
import type { HostWorkerOptions } from "../platform/host.js";
import { type Exposed, ServedFunctions } from "./served-functions.js";

/** Options of `WorkerPool`. */
export interface WorkerPoolOptions {
  /** How many workers (default: 2, or the host's core count minus one, whichever is larger). */
  size?: number;
  /** How many calls may wait for a worker; further submits wait (backpressure). Default: no limit. */
  maxQueue?: number;
  /** Calls in flight per worker at once: pipelining keeps small calls fast. Default 16. */
  inflightPerWorker?: number;
  /** Close a worker idle this long (ms); it is started again when work comes. Default: never. */
  idleTimeout?: number | null;
  /** A name prefix for the workers. */
  name?: string;
  /**
   * How long (ms) a cancelled call may take to finish unwinding in its worker; past
   * it the worker is terminated and replaced, the call ends cancelled and the
   * worker's other calls fail with `WorkerCrashedError` (see `spawnWorker`).
   * Default: no grace — wait however long it takes, and keep the worker.
   */
  cancelGrace?: number | null;
  /** How each worker is started (host options such as Node's `execArgv` or a browser's `credentials`), as for `spawnWorker`. */
  worker?: HostWorkerOptions;
  /** Functions this thread serves to every worker of the pool (they call them through `expose()`'s handle). */
  expose?: Exposed;
}

interface Member {
  readonly handle: WorkerHandle<unknown>;
  ready: boolean;
  /** Closes the worker when it has been idle for `idleTimeout`. */
  idleTimer: TimerHandle | null;
}

/** After this many workers die before they ever got ready, the pool stops respawning. */
const MAX_STARTUP_FAILURES = 3;

/**
 * A pool of workers running the same module, as an executor: each call goes to the
 * least-loaded worker, several in flight per worker (pipelining); when every slot
 * is taken, calls wait in a queue.
 * A worker that dies is replaced (its in-flight calls fail with
 * `WorkerCrashedError`); a full queue makes `submit` wait. Every call is a local
 * task; cancelling it cancels the call, queued or running.
 *
 * @typeParam Api - the worker's exposed functions (`typeof api` of its module): names, arguments and results of calls are checked against it.
 * @example
 * ```ts
 * const pool = new WorkerPool<typeof api>(() => new Worker(new URL("./hash-worker.ts", import.meta.url), { type: "module" }), { size: 4 });
 * const digest = yield* pool.api.sha256(bytes);
 * const digests = yield* pool.map("sha256", files);
 * yield* pool.shutdown();
 * ```
 */
export class WorkerPool<Api = Record<string, (...args: any[]) => unknown>> implements Executor {
  /** Typed calls; each returns a local `Task` queued on the pool. */
  readonly api: RemoteApi<Api>;
  private readonly loop: EventLoop;
  /**
   * Calls waiting for a free slot, in order. Each is the call's own task:
   * dispatching sends it, cancelling it drops it from here.
   */
  private readonly pending = new WaiterQueue<unknown>(this, "queued");
  /** `submit`s (and calls) waiting for room in a full queue. */
  private readonly roomWaiters = new WaiterQueue<void>(this, "submit");
  private readonly members = new Set<Member>();
  private readonly size: number;
  private readonly maxQueue: number;
  private readonly inflightPerWorker: number;
  private readonly idleTimeout: number | null;
  private readonly cancelGrace: number | null;
  /** What this thread serves to the workers, fixed once for all of them. */
  private readonly served: ServedFunctions | null;
  private startupFailures = 0;
  private stopping = false;
  private crashed: WorkerCrashedError | null = null;
  private spawned = 0;
  private drained: Future<void> | null = null;
  private readonly dropQueued = (call: Future<unknown>): void => {
    this.pending.remove(call);
    this.wakeRoomWaiters();
  };

  constructor(
    private readonly source: URL | string | (() => WorkerObject),
    private readonly options: WorkerPoolOptions = {},
  ) {
    if (typeof source !== "string" && !(source instanceof URL) && typeof source !== "function") {
      throw new TypeError(
        `WorkerPool expects the worker module's URL or a function that makes a Worker (a pool starts workers again), got ${describeValue(source)}`,
      );
    }
    checkOptions(options, "WorkerPool");
    this.size = checkInteger(options.size ?? 2, "WorkerPool option size", 1);
    this.inflightPerWorker = checkInteger(options.inflightPerWorker ?? 16, "WorkerPool option inflightPerWorker", 1);
    this.maxQueue = options.maxQueue === undefined ? 0 : checkInteger(options.maxQueue, "WorkerPool option maxQueue", 1);
    this.idleTimeout = options.idleTimeout ?? null;
    if (this.idleTimeout !== null && checkDelay(this.idleTimeout, "WorkerPool option idleTimeout") === 0) {
      throw new ValueError("WorkerPool option idleTimeout must be > 0 ms (or null: never close idle workers), got 0");
    }
    this.cancelGrace = options.cancelGrace ?? null;
    if (this.cancelGrace !== null) checkDelay(this.cancelGrace, "WorkerPool option cancelGrace");
    if (options.name !== undefined) checkString(options.name, "WorkerPool option name");
    checkOptions(options.worker, "WorkerPool option worker");
    this.served = options.expose === undefined ? null : new ServedFunctions(options.expose, "WorkerPool option expose");
    this.loop = getRunningLoop();
    // The first worker starts at once and the others when it is ready, so that on a
    // busy machine their start-ups do not delay the first result.
    const first = this.spawnMember();
    first.handle.connection.whenReady().then(() => {
      while (!this.stopping && this.crashed === null && this.members.size < this.size) this.spawnMember();
      this.dispatch();
    });
    this.api = new Proxy({} as RemoteApi<Api>, {
      get: (_target, name) => (typeof name !== "string" || name === "then" ? undefined : (...args: unknown[]) => this.callNamed(name, args)),
    });
  }

  /** How many workers are running. */
  get workers(): number {
    return this.members.size;
  }

  /** How many calls wait for a worker. */
  get queued(): number {
    return this.pending.length;
  }

  /**
   * Calls `name` on a worker and returns a local task of its result. When the
   * queue is full, the task waits for room before it queues. The name and the
   * arguments are checked against the worker's `Api` type.
   *
   * @example
   * ```ts
   * const digest = yield* pool.call("sha256", bytes);
   * ```
   */
  call<K extends ExposedName<Api>>(name: K, ...args: CallArgs<Api, K>): Task<CallResult<Api, K>> {
    return this.callNamed(name, args) as Task<CallResult<Api, K>>;
  }

  /** The `Executor` side, for `runInExecutor` and `toThread`: a call by name. */
  execute(name: string, args: readonly unknown[]): Task<unknown> {
    return this.callNamed(name, args);
  }

  /**
   * Waits until the queue has room (backpressure), queues the call, and returns
   * the task of its result.
   *
   * @example
   * ```ts
   * for (const file of files) results.push(yield* pool.submit("compress", file));
   * ```
   */
  submit<K extends ExposedName<Api>>(name: K, ...args: CallArgs<Api, K>): AwaitableCoro<Task<CallResult<Api, K>>> {
    return submitCall(this, name, args) as AwaitableCoro<Task<CallResult<Api, K>>>;
  }

  /**
   * Calls `name` once per item (the item its one argument), concurrently within
   * the pool's limits, and returns the results in order. If one fails, the rest are
   * cancelled and its error is thrown.
   *
   * @example
   * ```ts
   * const sizes = yield* pool.map("measure", files);
   * ```
   */
  map<K extends ExposedName<Api>>(name: K, items: Iterable<CallArgs<Api, K>[0]>): AwaitableCoro<CallResult<Api, K>[]> {
    return mapCalls(this, name, eachAsArguments(items)) as AwaitableCoro<CallResult<Api, K>[]>;
  }

  /**
   * Like `map`, with each item the whole argument list of one call (Python's
   * `starmap`).
   *
   * @example
   * ```ts
   * const sums = yield* pool.starmap("add", [[1, 2], [3, 4]]); // [3, 7]
   * ```
   */
  starmap<K extends ExposedName<Api>>(name: K, argumentLists: Iterable<CallArgs<Api, K>>): AwaitableCoro<CallResult<Api, K>[]> {
    return mapCalls(this, name, argumentLists as Iterable<readonly unknown[]>) as AwaitableCoro<CallResult<Api, K>[]>;
  }

  /**
   * Calls `name` once per item and yields the results as they finish, in the order
   * they finish (`asCompleted` over the calls): each step gives an awaitable of the
   * next result to finish.
   *
   * @example
   * ```ts
   * for (const next of pool.mapUnordered("render", tiles)) draw(yield* next);
   * for await (const task of pool.mapUnordered("render", tiles)) draw(task.result());
   * ```
   */
  mapUnordered<K extends ExposedName<Api>>(name: K, items: Iterable<CallArgs<Api, K>[0]>): AsCompletedIterator<CallResult<Api, K>> {
    const calls = [...eachAsArguments(items)].map((args) => this.callNamed(name, args));
    return asCompleted(calls) as AsCompletedIterator<CallResult<Api, K>>;
  }

  private callNamed(name: string, args: readonly unknown[]): Task<unknown> {
    checkString(name, "WorkerPool.call: the function name");
    if (this.queueIsFull()) {
      return new Task(this.callWhenRoom(name, args), this.loop, { name: `pool ${name}`, eager: true });
    }
    const call = new RemoteCallTask<unknown>(this.loop, name, args);
    this.enqueue(call);
    return call;
  }

  /**
   * Stops the pool: no new calls; queued calls run (or, with `cancelPending`, are
   * cancelled), then every worker is closed gracefully.
   */
  shutdown(options: { cancelPending?: boolean } = {}): AwaitableCoro<void> {
    return shutdownPool(this, options.cancelPending === true);
  }

  /** @internal Waits while the queue is full. */
  *_waitForRoom(): Coro<void> {
    if (this.queueIsFull()) yield* this.roomWaiters.waitUntil(this.loop, this.hasRoom);
  }

  /**
   * @internal Each step is safe to repeat, so a shutdown that was cancelled (a
   * `waitFor` around it) is finished by the next call: stop taking calls, let the
   * queued ones end, close every worker still running.
   */
  *_shutdown(cancelPending: boolean): Coro<void> {
    if (!this.stopping) {
      this.stopping = true;
      // Whoever waits for room finds the pool stopping.
      while (this.roomWaiters.wakeNext());
    }
    if (cancelPending) {
      for (const call of [...this.pending]) call.cancel("the pool is shutting down");
    }
    // Queued calls still run (dispatch continues as slots free up); wait for them.
    while (this.inflight() > 0 || this.pending.length > 0) {
      if (this.drained === null || this.drained.done()) this.drained = this.loop.createFuture<void>();
      yield* this.drained;
    }
    for (const member of this.members) member.idleTimer?.cancel();
    // A worker leaves `members` once it has exited; a cancelled close terminates it.
    yield* gather(...[...this.members].map((member) => member.handle.close()), { returnExceptions: true });
  }

  private *callWhenRoom(name: string, args: readonly unknown[]): Coro<unknown> {
    yield* this._waitForRoom();
    return yield* this.callNamed(name, args);
  }

  private queueIsFull(): boolean {
    return this.maxQueue > 0 && !this.stopping && this.pending.length >= this.maxQueue;
  }

  private readonly hasRoom = (): boolean => !this.queueIsFull();

  /** Queues `call` (failing it at once when the pool cannot take it) and dispatches. */
  private enqueue(call: RemoteCallTask<unknown>): void {
    if (this.stopping) {
      call._reject(new QueueShutDown("The WorkerPool is shut down: it takes no new calls."));
    } else if (this.crashed !== null) {
      call._reject(this.crashed);
    } else {
      call._onDropped = this.dropQueued;
      this.pending.push(call);
      this.ensureWorkers();
      this.dispatch();
    }
  }

  /** Starts workers for queued calls (during a shutdown too: queued calls still run). */
  private ensureWorkers(): void {
    while (this.crashed === null && this.members.size < this.size && this.pending.length > 0) this.spawnMember();
  }

  /** Sends queued calls to the least-loaded workers while any has a free slot. */
  private dispatch(): void {
    let sent = false;
    while (this.pending.length > 0) {
      const member = this.leastLoaded();
      if (member === null) break;
      const call = this.pending.shift() as RemoteCallTask<unknown>;
      sent = true;
      call._onDropped = null;
      if (call.done()) continue;
      try {
        member.handle.connection.send(call);
      } catch (error) {
        call._reject(error); // not cloneable, or the worker just died
        continue;
      }
      member.idleTimer?.cancel();
      member.idleTimer = null;
    }
    if (sent) this.wakeRoomWaiters();
    if (this.drained !== null && this.inflight() === 0 && this.pending.length === 0 && !this.drained.done()) this.drained.setResult();
  }

  /** Wakes as many room waiters as the queue has room for, in order. */
  private wakeRoomWaiters(): void {
    for (let room = this.maxQueue - this.pending.length; room > 0 && this.roomWaiters.wakeNext(); room--);
  }

  private leastLoaded(): Member | null {
    let best: Member | null = null;
    let bestLoad = this.inflightPerWorker;
    for (const member of this.members) {
      const load = member.handle.connection.busy;
      if (load < bestLoad && !member.handle.exited) {
        best = member;
        bestLoad = load;
      }
    }
    return best;
  }

  /** Calls sent and not yet answered, over all workers. */
  private inflight(): number {
    let total = 0;
    for (const member of this.members) total += member.handle.connection.busy;
    return total;
  }

  /** A call on `member` ended: start its idle timer if it has nothing left, and dispatch what waits. */
  private onReplySettled(member: Member): void {
    if (member.handle.connection.busy === 0 && this.idleTimeout !== null && !this.stopping && this.members.has(member)) {
      member.idleTimer?.cancel();
      member.idleTimer = this.loop.callLater(this.idleTimeout, () => this.retire(member));
    }
    this.dispatch();
  }

  private retire(member: Member): void {
    if (member.handle.connection.busy > 0 || !this.members.delete(member)) return;
    member.handle.close();
  }

  private spawnMember(): Member {
    const name = `${this.options.name ?? "pool"}-${++this.spawned}`;
    const handle = spawnWorker<unknown>(this.source, { ...this.options.worker, name, cancelGrace: this.cancelGrace, ...(this.served !== null ? { expose: this.served } : {}) });
    const member: Member = { handle, ready: false, idleTimer: null };
    this.members.add(member);
    handle.connection.onReplySettled = () => this.onReplySettled(member);
    handle.connection.whenReady().then(() => {
      if (!handle.exited) {
        member.ready = true;
        this.startupFailures = 0;
      }
    });
    handle._onExit(() => this.onMemberExit(member));
    return member;
  }

  private onMemberExit(member: Member): void {
    member.idleTimer?.cancel();
    // Its in-flight calls have failed with WorkerCrashedError through their connection.
    if (!this.members.delete(member)) {
      this.dispatch(); // retired: nothing to replace
      return;
    }
    if (!member.ready && ++this.startupFailures >= MAX_STARTUP_FAILURES) {
      // The module cannot start: fail what waits instead of respawning forever.
      this.crashed = new WorkerCrashedError(`WorkerPool: ${MAX_STARTUP_FAILURES} workers of ${typeof this.source === "function" ? "its worker factory" : String(this.source)} died before they were ready; not respawning.`);
      for (const call of [...this.pending] as RemoteCallTask<unknown>[]) {
        call._onDropped = null;
        if (!call.done()) call._reject(this.crashed);
      }
      while (this.pending.shift() !== undefined);
      this.wakeRoomWaiters();
    } else if (this.stopping) {
      this.ensureWorkers(); // queued calls still run during a shutdown
    } else if (this.members.size < this.size && (this.idleTimeout === null || this.pending.length > 0)) {
      this.spawnMember();
    }
    this.dispatch(); // a shutdown may be waiting for this worker's calls to end
  }
}

const submitCall = awaitable(function* submitCall(pool: WorkerPool<unknown>, name: string, args: readonly unknown[]): Coro<Task<unknown>> {
  yield* pool._waitForRoom();
  return pool.execute(name, args);
});

const mapCalls = awaitable(function* mapCalls(pool: WorkerPool<unknown>, name: string, argumentLists: Iterable<readonly unknown[]>): Coro<unknown[]> {
  const tasks: Task<unknown>[] = [];
  try {
    for (const args of argumentLists) tasks.push(yield* submitCall(pool, name, args));
    return yield* gather(...tasks);
  } catch (error) {
    for (const task of tasks) task.cancel();
    throw error;
  }
});

function* eachAsArguments(items: Iterable<unknown>): Iterable<readonly unknown[]> {
  for (const item of items) yield [item];
}

const shutdownPool = awaitable(function* shutdownPool(pool: WorkerPool<unknown>, cancelPending: boolean): Coro<void> {
  yield* pool._shutdown(cancelPending);
});

/**
 * Runs the function `name` on the running loop's default executor (see
 * `setDefaultExecutor`), as asyncio's `to_thread`.
 *
 * @example
 * ```ts
 * setDefaultExecutor(new WorkerPool(new URL("./cpu-worker.js", import.meta.url)));
 * const primes = yield* toThread("primesBelow", 1_000_000);
 * ```
 */
export function toThread<T = unknown>(name: string, ...args: unknown[]): Future<T> {
  return getRunningLoop().runInExecutor<T>(null, name, ...args);
}

/**
 * Sets the running loop's default executor (used by `toThread` and
 * `runInExecutor(null, ...)`).
 *
 * @example
 * ```ts
 * setDefaultExecutor(new WorkerPool(workerUrl, { size: 4 }));
 * ```
 */
export function setDefaultExecutor(executor: Executor | null): void {
  getRunningLoop().setDefaultExecutor(executor);
}
