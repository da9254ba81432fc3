import { spawner } from "#platform";
import { WorkerCrashedError, describeValue } from "../errors.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import type { Coro } from "../futures/coroutine.js";
import type { Task } from "../futures/task.js";
import { futureFromPromise } from "../futures/future-from-promise.js";
import { getRunningLoop } from "../loop/running-loop.js";
import type { HostWorker, HostWorkerOptions } from "../platform/host.js";
import { Connection } from "./connection.js";
import { type Exposed, ServedFunctions } from "./served-functions.js";
import { checkDelay, checkOptions, checkString } from "../validate.js";
import { type CallArgs, type CallResult, type ExposedName, type RemoteApi, remoteApi } from "./remote.js";

/**
 * A worker object of either host — a browser `Worker` or a Node
 * `worker_threads.Worker` — as made by `new Worker(new URL("./w.js", import.meta.url), { type: "module" })`,
 * the line every bundler recognises and bundles the worker for.
 */
export interface WorkerObject {
  /** Sends a message to the worker. */
  postMessage(message: unknown, ...rest: any[]): void;
  /** Ends the worker at once. */
  terminate(): unknown;
}

/**
 * Where a worker comes from: its module's URL, a worker made beforehand, or a
 * function that makes one (what a `WorkerPool` needs, since it starts workers
 * again).
 */
export type WorkerSource = URL | string | WorkerObject | (() => WorkerObject);

/** Options of `spawnWorker`. */
export interface SpawnWorkerOptions extends HostWorkerOptions {
  /** A name for the worker (debugging, error messages; also the thread's name when it is started from a URL). */
  name?: string;
  /** Functions this thread serves to the worker (it calls them through `expose()`'s handle). */
  expose?: Exposed | ServedFunctions;
  /**
   * How long (ms) a cancelled call may take to finish unwinding in the worker. Past
   * it the worker is terminated: the call ends cancelled (so `waitFor` and `timeout`
   * hold even against a worker stuck in a synchronous loop), and the worker's other
   * pending calls fail with `WorkerCrashedError`. Default: no grace — wait for the
   * worker however long it takes, and keep it.
   */
  cancelGrace?: number | null;
}

/**
 * A worker thread running a module that called `expose()`. Calls go through the
 * typed `api` proxy or `call()` and return local tasks; cancelling one cancels the
 * remote coroutine. If the worker dies, every pending call fails at once with
 * `WorkerCrashedError`.
 *
 * @typeParam Api - the worker's exposed functions (`typeof api` of its module): names, arguments and results of calls are checked against it.
 * @example
 * ```ts
 * const worker = spawnWorker<typeof import("./worker.js").api>(new URL("./worker.js", import.meta.url));
 * const n = yield* worker.api.fib(30);
 * yield* worker.close();
 * ```
 */
export class WorkerHandle<Api = Record<string, (...args: any[]) => unknown>> {
  /** Typed calls of the worker's exposed functions; each returns a local `Task`. */
  readonly api: RemoteApi<Api>;
  /** The call channel to the worker. */
  readonly connection: Connection;
  private exitedWith: WorkerCrashedError | null = null;
  private closing = false;
  private readonly exitListeners: Array<() => void> = [];

  /** @internal Use `spawnWorker()`. */
  constructor(
    private readonly worker: HostWorker,
    private readonly label: string,
    exposed: ServedFunctions,
    cancelGrace: number | null,
    /** Where it came from, for messages: the module's URL. */
    private readonly origin: string,
  ) {
    this.connection = new Connection(worker.endpoint, getRunningLoop(), exposed, { peerName: `worker ${label}`, inTaskTree: true, toChild: true });
    this.api = remoteApi<Api>(this.connection);
    worker.onExit((reason) => this.onExit(reason));
    // Said by a worker that ends itself (a browser worker's close() gives no event),
    // and at the end of a graceful close. The worker's word is not trusted to be
    // true: it is made true, so a live worker never passes for an exited one.
    this.connection.onClosed = () => {
      this.onExit({ exitCode: 0 }, `worker ${label} closed`);
      this.worker.terminate();
    };
    if (cancelGrace !== null) {
      this.connection.setCancelGrace(cancelGrace, () => {
        if (this.exitedWith === null) {
          this.onExit({ error: new Error("terminated") }, `worker ${this.label} was terminated: a cancelled call did not finish unwinding within cancelGrace (${cancelGrace} ms)`);
        }
        this.worker.terminate();
      });
    }
  }

  /**
   * Calls `name` with `args` in the worker and returns a local task of its result;
   * the name and arguments are checked against the worker's `Api` type.
   *
   * @example
   * ```ts
   * const n = yield* worker.call("fib", 30);
   * ```
   */
  call<K extends ExposedName<Api>>(name: K, ...args: CallArgs<Api, K>): Task<CallResult<Api, K>> {
    return this.connection.call<CallResult<Api, K>>(name, args);
  }

  /** Runs `name` in the worker soon, without a reply. */
  callSoon(name: string, ...args: unknown[]): void {
    this.connection.callSoon(name, args);
  }

  /**
   * Waits until the worker has loaded its module and called `expose()`. Fails with
   * `WorkerCrashedError` (its `cause` the host's error, e.g. Node's module-not-found)
   * when the worker dies first: its module failed to load, threw at top level, or
   * (in Node) ended without calling `expose()`. A browser worker that loads but never
   * calls `expose()` stays alive: bound the wait with `waitFor(worker.ready(), ms)`.
   */
  ready(): AwaitableCoro<void> {
    return waitReady(this);
  }

  /**
   * Closes the worker gracefully: its running calls are cancelled, their `finally`
   * blocks run, their local tasks end cancelled, and then the thread ends.
   */
  close(): AwaitableCoro<void> {
    return closeWorker(this);
  }

  /** Ends the worker at once; pending calls fail with `WorkerCrashedError`. */
  terminate(): void {
    if (this.exitedWith === null) this.onExit({ error: new Error("terminated") }, `worker ${this.label} was terminated`);
    this.worker.terminate();
  }

  /** Whether the worker has ended (closed, crashed or terminated). */
  get exited(): boolean {
    return this.exitedWith !== null;
  }

  /** Calls awaiting a reply from the worker. */
  get pendingCalls(): number {
    return this.connection.busy;
  }

  /** @internal Runs `listener` once when the worker ends. */
  _onExit(listener: () => void): void {
    if (this.exitedWith !== null) listener();
    else this.exitListeners.push(listener);
  }

  /** @internal Why `ready()` fails: the worker ended before it called `expose()`. */
  _neverReady(): WorkerCrashedError {
    const ended = this.exitedWith!;
    return new WorkerCrashedError(
      `worker ${this.label} (${this.origin}) ended before it called expose() — did its module load, and does it call expose()? ${ended.message}`,
      { cause: ended, ...(ended.exitCode !== undefined ? { exitCode: ended.exitCode } : {}) },
    );
  }

  /** @internal */
  get _closing(): boolean {
    return this.closing;
  }

  /** @internal */
  _beginClose(): void {
    this.closing = true;
  }

  private onExit(reason: { exitCode?: number; error?: unknown }, message?: string): void {
    if (this.exitedWith !== null) return;
    const pending = this.connection.busy;
    const what =
      message ??
      (reason.error !== undefined
        ? `worker ${this.label} crashed: ${(reason.error as Error)?.message ?? describeValue(reason.error)}`
        : `worker ${this.label} exited with code ${reason.exitCode}`);
    this.exitedWith = new WorkerCrashedError(`${what}${pending ? ` while ${pending} call(s) were pending` : ""}`, {
      ...(reason.error !== undefined ? { cause: reason.error } : {}),
      ...(reason.exitCode !== undefined ? { exitCode: reason.exitCode } : {}),
    });
    this.connection.fail(this.exitedWith);
    for (const listener of this.exitListeners.splice(0)) listener();
  }
}

const waitReady = awaitable(function* waitReady(handle: WorkerHandle<unknown>): Coro<void> {
  if (handle.connection.exposedByPeer === null) yield* futureFromPromise(handle.connection.whenReady(), getRunningLoop());
  if (handle.connection.exposedByPeer === null) throw handle._neverReady();
});

const closeWorker = awaitable(function* closeWorker(handle: WorkerHandle<unknown>): Coro<void> {
  if (handle.exited) return;
  const ended = getRunningLoop().createFuture<void>();
  handle._onExit(() => {
    if (!ended.done()) ended.setResult();
  });
  // A second close() waits for the first one's end rather than returning early.
  if (!handle._closing) {
    handle._beginClose();
    handle.connection.requestClose();
  }
  try {
    yield* ended;
  } finally {
    // Also when this close() is cancelled: the worker never outlives a close.
    handle.terminate();
  }
});

/**
 * Starts a worker thread running a module that calls `expose()`, with the same code
 * in browsers (module Workers) and Node (`worker_threads`), and returns its handle.
 * Give it the `Worker` you made — the form every bundler (Vite, webpack, esbuild)
 * recognises and bundles — or a function making one, or the module's URL (fine
 * in Node and unbundled pages). Host options (`execArgv`, `env`, `workerData`,
 * `resourceLimits`, `argv` in Node; `type`, `credentials` in browsers) apply when it
 * starts the worker from a URL. Needs a running loop: the worker's replies land on it.
 *
 * @typeParam Api - the worker's exposed functions (`typeof api` of its module): names, arguments and results of calls are checked against it.
 * @example
 * ```ts
 * import type { api } from "./math-worker.js";
 * const worker = spawnWorker<typeof api>(new Worker(new URL("./math-worker.ts", import.meta.url), { type: "module" }));
 * const task = worker.api.fib(35);
 * task.cancel(); // the worker's fib gets CancelledError at its yield*
 * ```
 */
export function spawnWorker<Api = Record<string, (...args: any[]) => unknown>>(source: WorkerSource, options: SpawnWorkerOptions = {}): WorkerHandle<Api> {
  checkOptions(options, "spawnWorker");
  const { name, cancelGrace = null, expose = {}, ...hostOptions } = options;
  if (name !== undefined) checkString(name, "spawnWorker option name");
  if (cancelGrace !== null) checkDelay(cancelGrace, "spawnWorker option cancelGrace");
  const served = expose instanceof ServedFunctions ? expose : new ServedFunctions(expose, "spawnWorker option expose"); // fail before starting a thread
  getRunningLoop();
  const made = typeof source === "function" ? source() : source;
  if (typeof made !== "string" && !(made instanceof URL) && !spawner.isWorker(made)) {
    throw new TypeError(
      `spawnWorker expects the worker module's URL, a Worker, or a function returning a Worker; ${typeof source === "function" ? "the function returned" : "got"} ${describeValue(made)}`,
    );
  }
  const worker = spawner.startWorker(made, name !== undefined ? { ...hostOptions, name } : hostOptions);
  const fromUrl = typeof made === "string" || made instanceof URL;
  const origin = fromUrl ? String(made) : "a Worker object";
  return new WorkerHandle<Api>(worker, name ?? (fromUrl ? origin.split("/").pop() || origin : objectLabel(made)), served, cancelGrace, origin);
}

let unnamedWorkers = 0;

/**
 * What messages call a worker given as an object with no `name`: Node's thread id
 * (what the worker sees as `threadId`), else a number counted on this thread, so that
 * two such workers' errors can be told apart.
 */
function objectLabel(worker: object): string {
  const threadId = (worker as { threadId?: unknown }).threadId;
  return typeof threadId === "number" ? `thread ${threadId}` : `#${++unnamedWorkers}`;
}
