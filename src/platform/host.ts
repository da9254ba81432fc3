import type { Endpoint } from "./endpoint.js";
import type { ExitReason } from "./exit-listeners.js";

/**
 * The seam between the library and its host (Node or a browser). Everything that
 * differs between the two lives behind this interface; the package's `exports`
 * conditions (and `#platform` in package.json `imports`) pick the implementation.
 */
export interface Host {
  /** `"node"` or `"browser"`, for diagnostics only — never branch on it outside `platform/`. */
  readonly name: "node" | "browser";
  /** Monotonic milliseconds, sub-millisecond precision. */
  now(): number;
  /**
   * Runs `callback` in a later macrotask, after pending I/O, timers and (in a
   * browser) rendering had their turn. The loop yields through this so it never
   * starves its host.
   */
  scheduleMacrotask(callback: () => void): void;
  /** In a worker: the channel to the thread that started it; `null` on the main thread. */
  parentEndpoint(): Endpoint | null;
  /** Adapts a MessagePort (of this host) to an `Endpoint`. */
  adaptPort(port: unknown): Endpoint;
  /** A connected pair of ports. */
  createChannel(): { port1: unknown; port2: unknown };
  /**
   * Calls `listener` once when the other end of `port` is gone (its thread ended or
   * it was closed). Node tells; Chromium's MessagePort has no such event, so there
   * this never fires and death must reach the thread another way.
   */
  onPortClose(port: unknown, listener: () => void): void;
  /** Whether an idle `port` keeps this thread alive (Node; browsers have no such notion). */
  keepAlive(port: unknown, alive: boolean): void;
  /** Ends the current worker thread (after a graceful close). */
  exitCurrentThread(): void;
  /** Replaces the worker's own way to end itself (`close()`), to say goodbye first. */
  onSelfClose(beforeClose: () => void): void;
  /**
   * The host's async context here and now — in Node, what every
   * `AsyncLocalStorage` holds — for a task to run each of its steps in, as an
   * asyncio task runs in the context it was created in. `null` where the host keeps
   * no such context (browsers).
   */
  captureAsyncContext(): HostAsyncContext | null;
}

/** A captured async context (Node's `AsyncResource` has this shape). */
export interface HostAsyncContext {
  /** Calls `fn.call(thisArg, ...args)` inside the context, and returns what it returns. */
  runInAsyncScope<This, A extends unknown[], R>(fn: (this: This, ...args: A) => R, thisArg: This, ...args: A): R;
}

/**
 * The part of the host seam that starts workers, apart from `Host` so that code
 * that never spawns a worker (a worker itself, the core runtime) does not carry it.
 */
export interface WorkerSpawner {
  /**
   * Starts a worker thread running the module at a URL, or adopts a worker the
   * caller made (a browser `Worker`, a Node `worker_threads.Worker`): the form
   * bundlers recognise. Options the host does not know are ignored.
   */
  startWorker(source: URL | string | object, options: HostWorkerOptions): HostWorker;
  /** Whether `value` is this host's kind of worker object. */
  isWorker(value: unknown): boolean;
}

/**
 * How to start a worker. Each host takes its own and ignores the others': a
 * browser `name`, `type`, `credentials`; Node `name`, `execArgv`, `env`,
 * `workerData`, `resourceLimits`, `argv`.
 */
export interface HostWorkerOptions {
  /** A name for the thread (both hosts show it in their debuggers). */
  name?: string;
  /** Browser: `"module"` (the default here) or `"classic"`. */
  type?: "module" | "classic";
  /** Browser: credentials for fetching a module worker's script. */
  credentials?: "omit" | "same-origin" | "include";
  /** Node: flags for the worker's Node, e.g. `["--import", "tsx"]`. */
  execArgv?: string[];
  /** Node: the worker's `process.env`. */
  env?: Record<string, string | undefined>;
  /** Node: a value cloned into the worker as `workerData`. */
  workerData?: unknown;
  /** Node: the worker's heap and stack limits (MB). */
  resourceLimits?: WorkerResourceLimits;
  /** Node: the worker's `process.argv` after the script. */
  argv?: unknown[];
}

/** Node's `resourceLimits` of a worker, in MB. */
export interface WorkerResourceLimits {
  /** The main heap's limit. */
  maxOldGenerationSizeMb?: number;
  /** The young generation's limit (new objects). */
  maxYoungGenerationSizeMb?: number;
  /** Memory for compiled code. */
  codeRangeSizeMb?: number;
  /** The thread's stack. */
  stackSizeMb?: number;
}

/** A started worker, as the host sees it. */
export interface HostWorker {
  readonly endpoint: Endpoint;
  /** Called once when the worker dies: an uncaught error, an exit, a termination. */
  onExit(listener: (reason: ExitReason) => void): void;
  terminate(): void;
}
