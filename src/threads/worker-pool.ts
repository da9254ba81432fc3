import { CancelledError, ValueError, WorkerCrashedError, describeValue } from "../errors.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import type { Coro } from "../futures/coroutine.js";
import type { Future } from "../futures/future.js";
import { Task } from "../futures/task.js";
import type { EventLoop, Executor } from "../loop/event-loop.js";
import type { TimerHandle } from "../loop/handles.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { Queue } from "../queues/queue.js";
import { gather } from "../tasks/gather.js";
import { shield } from "../tasks/shield.js";
import { type RemoteApi } from "./remote.js";
import { WorkerHandle, spawnWorker } from "./spawn-worker.js";

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
}

interface Job {
  readonly name: string;
  readonly args: readonly unknown[];
  readonly reply: Future<unknown>;
  remote: Task<unknown> | null;
}

interface Member {
  readonly handle: WorkerHandle<unknown>;
  ready: boolean;
  inflight: number;
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
 * @example
 * ```ts
 * const pool = new WorkerPool<typeof api>(new URL("./hash-worker.js", import.meta.url), { size: 4 });
 * const digest = yield* pool.api.sha256(bytes);
 * const digests = yield* pool.map("sha256", files);
 * yield* pool.shutdown();
 * ```
 */
export class WorkerPool<Api = Record<string, (...args: any[]) => unknown>> implements Executor {
  /** Typed calls; each returns a local `Task` queued on the pool. */
  readonly api: RemoteApi<Api>;
  private readonly loop: EventLoop;
  private readonly jobs: Queue<Job>;
  private readonly members = new Set<Member>();
  private readonly size: number;
  private readonly inflightPerWorker: number;
  private readonly idleTimeout: number | null;
  private startupFailures = 0;
  private stopping = false;
  private crashed: WorkerCrashedError | null = null;
  private spawned = 0;
  private running = 0;
  private drained: Future<void> | null = null;

  constructor(
    private readonly url: URL | string,
    private readonly options: WorkerPoolOptions = {},
  ) {
    this.loop = getRunningLoop();
    this.size = positiveInteger(options.size ?? 2, "size");
    this.inflightPerWorker = positiveInteger(options.inflightPerWorker ?? 16, "inflightPerWorker");
    this.idleTimeout = options.idleTimeout ?? null;
    if (this.idleTimeout !== null && !(this.idleTimeout > 0)) throw new ValueError(`WorkerPool idleTimeout must be > 0 ms, got ${this.idleTimeout}`);
    this.jobs = new Queue<Job>(options.maxQueue === undefined ? 0 : positiveInteger(options.maxQueue, "maxQueue"));
    // The first worker starts at once and the others when it is ready, so that on a
    // busy machine their start-ups do not delay the first result.
    const first = this.spawnMember();
    first.handle.connection.whenReady().then(() => {
      while (!this.stopping && this.crashed === null && this.members.size < this.size) this.spawnMember();
      this.dispatch();
    });
    this.api = new Proxy({} as RemoteApi<Api>, {
      get: (_target, name) => (typeof name !== "string" || name === "then" ? undefined : (...args: unknown[]) => this.call(name, ...args)),
    });
  }

  /** How many workers are running. */
  get workers(): number {
    return this.members.size;
  }

  /** How many calls wait for a worker. */
  get queued(): number {
    return this.jobs.qsize();
  }

  /**
   * Calls `name` on a worker and returns a local task of its result. When the
   * queue is full, the task waits for room before it queues.
   */
  call<T = unknown>(name: string, ...args: unknown[]): Task<T> {
    // Fast path: nothing is queued and a worker has a free slot, so the call goes
    // straight to it and its own task is the one returned.
    if (!this.stopping && this.crashed === null && this.jobs.empty()) {
      const member = this.leastLoaded();
      if (member !== null) {
        const remote = member.handle.connection.call<T>(name, args);
        this.track(member, remote);
        return remote;
      }
    }
    return new Task(this.submitAndWait<T>(name, args), this.loop, { name: `pool ${name}`, eager: true });
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
  submit<T = unknown>(name: string, ...args: unknown[]): AwaitableCoro<Task<T>> {
    return submitJob<T>(this, name, args);
  }

  /** Calls `name` once per item, concurrently, and returns the results in order. */
  map<T = unknown>(name: string, items: Iterable<unknown>): AwaitableCoro<T[]> {
    return mapJobs<T>(this, name, items);
  }

  /**
   * Stops the pool: no new calls; queued calls run (or, with `cancelPending`, are
   * cancelled), then every worker is closed gracefully.
   */
  shutdown(options: { cancelPending?: boolean } = {}): AwaitableCoro<void> {
    return shutdownPool(this, options.cancelPending === true);
  }

  /** @internal */
  *_queueJob<T>(name: string, args: readonly unknown[]): Coro<Job> {
    if (this.crashed !== null) throw this.crashed;
    const job: Job = { name, args, reply: this.loop.createFuture<T>() as Future<unknown>, remote: null };
    yield* this.jobs.put(job); // waits while the queue is full; QueueShutDown after shutdown
    this.ensureWorkers();
    this.dispatch();
    return job;
  }

  /** @internal Waits for a queued job; cancelling cancels the job wherever it is. */
  *_awaitJob<T>(job: Job): Coro<T> {
    for (;;) {
      try {
        return (yield* shield(job.reply)) as T;
      } catch (error) {
        if (job.reply.done()) return job.reply.result() as T;
        if (!(error instanceof CancelledError)) throw error;
        // Running: cancel it in the worker and wait for it to unwind. Queued: drop it.
        if (job.remote !== null) job.remote.cancel(error.message);
        else job.reply.cancel(error.message);
      }
    }
  }

  /** @internal */
  *_shutdown(cancelPending: boolean): Coro<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (cancelPending) {
      while (!this.jobs.empty()) this.jobs.getNowait().reply.cancel("the pool is shutting down");
    }
    this.jobs.shutdown();
    // Queued calls still run (dispatch continues as slots free up); wait for them.
    if (this.running > 0 || !this.jobs.empty()) {
      this.drained = this.loop.createFuture<void>();
      yield* this.drained;
    }
    const members = [...this.members];
    this.members.clear();
    for (const member of members) member.idleTimer?.cancel();
    yield* gather(...members.map((member) => member.handle.close()), { returnExceptions: true });
  }

  private *submitAndWait<T>(name: string, args: readonly unknown[]): Coro<T> {
    const job = yield* this._queueJob<T>(name, args);
    return yield* this._awaitJob<T>(job);
  }

  private ensureWorkers(): void {
    while (!this.stopping && this.crashed === null && this.members.size < this.size && this.jobs.qsize() > 0) this.spawnMember();
  }

  /** Sends queued calls to the least-loaded workers while any has a free slot. */
  private dispatch(): void {
    while (!this.jobs.empty()) {
      const member = this.leastLoaded();
      if (member === null) return;
      const job = this.jobs.getNowait(); // frees room for a waiting submit
      if (!job.reply.done()) this.start(member, job);
    }
    if (this.drained !== null && this.running === 0 && !this.drained.done()) this.drained.setResult();
  }

  private leastLoaded(): Member | null {
    let best: Member | null = null;
    for (const member of this.members) {
      if (member.inflight < this.inflightPerWorker && !member.handle.exited && (best === null || member.inflight < best.inflight)) best = member;
    }
    return best;
  }

  private start(member: Member, job: Job): void {
    let remote: Task<unknown>;
    try {
      remote = member.handle.connection.call(job.name, job.args);
    } catch (error) {
      job.reply.setException(error); // not cloneable, or the worker just died
      return;
    }
    job.remote = remote;
    this.track(member, remote, () => {
      job.remote = null;
      if (job.reply.done()) return;
      if (remote.cancelled()) job.reply.cancel(cancelMessageOf(remote));
      else if (remote.exception() !== undefined) job.reply.setException(remote.exception());
      else job.reply.setResult(remote.result());
    });
  }

  /** Counts a call in flight on `member` until it ends, then dispatches what waits. */
  private track(member: Member, remote: Task<unknown>, onDone?: () => void): void {
    member.inflight++;
    this.running++;
    member.idleTimer?.cancel();
    member.idleTimer = null;
    remote.addDoneCallback(() => {
      member.inflight--;
      this.running--;
      onDone?.();
      if (member.inflight === 0 && this.idleTimeout !== null && !this.stopping && this.members.has(member)) {
        member.idleTimer = this.loop.callLater(this.idleTimeout, () => this.retire(member));
      }
      this.dispatch();
    });
  }

  private retire(member: Member): void {
    if (member.inflight > 0 || !this.members.delete(member)) return;
    member.handle.close();
  }

  private spawnMember(): Member {
    const name = `${this.options.name ?? "pool"}-${++this.spawned}`;
    const handle = spawnWorker<unknown>(this.url, { name });
    const member: Member = { handle, ready: false, inflight: 0, idleTimer: null };
    this.members.add(member);
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
    if (!this.members.delete(member) || this.stopping) return;
    if (!member.ready && ++this.startupFailures >= MAX_STARTUP_FAILURES) {
      // The module cannot start: fail what waits instead of respawning forever.
      this.crashed = new WorkerCrashedError(`WorkerPool: ${MAX_STARTUP_FAILURES} workers of ${String(this.url)} died before they were ready; not respawning.`);
      while (!this.jobs.empty()) {
        const job = this.jobs.getNowait();
        if (!job.reply.done()) job.reply.setException(this.crashed);
      }
      return;
    }
    if (this.members.size < this.size && (this.idleTimeout === null || this.jobs.qsize() > 0)) this.spawnMember();
    this.dispatch();
  }
}

function cancelMessageOf(task: Task<unknown>): string {
  try {
    task.result();
  } catch (error) {
    return (error as Error).message;
  }
  return "";
}

const submitJob = awaitable(function* submitJob<T>(pool: WorkerPool<unknown>, name: string, args: readonly unknown[]): Coro<Task<T>> {
  const job = yield* pool._queueJob<T>(name, args);
  return new Task(pool._awaitJob<T>(job), getRunningLoop(), { name: `pool ${name}`, eager: true });
});

const mapJobs = awaitable(function* mapJobs<T>(pool: WorkerPool<unknown>, name: string, items: Iterable<unknown>): Coro<T[]> {
  const tasks: Task<T>[] = [];
  try {
    for (const item of items) tasks.push(yield* submitJob<T>(pool, name, [item]));
    return (yield* gather(...tasks)) as T[];
  } catch (error) {
    for (const task of tasks) task.cancel();
    throw error;
  }
});

const shutdownPool = awaitable(function* shutdownPool(pool: WorkerPool<unknown>, cancelPending: boolean): Coro<void> {
  yield* pool._shutdown(cancelPending);
});

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ValueError(`WorkerPool ${what} must be a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

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
