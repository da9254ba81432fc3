import { host } from "#platform";
import { RuntimeError } from "../errors.js";
import type { Coro } from "../futures/coroutine.js";
import { EventLoop, type EventLoopOptions } from "../loop/event-loop.js";
import { Connection, type Exposed } from "./connection.js";
import { type RemoteApi, remoteApi } from "./remote.js";
import { answerTaskTree } from "./thread-tree.js";
import { closeLoop } from "../tasks/runner.js";
import { LabelledFuture } from "../futures/labelled-future.js";

/** What `expose()` gives the worker: a way to call what its parent exposes. */
export interface ParentHandle<ParentApi = Record<string, never>> {
  /** Typed calls of the parent's exposed functions (inside a task of this worker). */
  readonly api: RemoteApi<ParentApi>;
  /** The connection to the parent. */
  readonly connection: Connection;
}

let exposedHere = false;

/**
 * In a worker module: starts this thread's event loop and serves `functions` to the
 * thread that spawned it — a plain object of functions, a module namespace, or a
 * class instance (its methods, own and inherited, with `this` bound to it; never
 * `Object.prototype`'s). Generator functions are coroutines, cancellable at every
 * `yield*` from the other side; async and plain functions get an `AbortSignal` as
 * their last argument. Returns a handle to call what the parent exposes.
 *
 * The loop runs until the parent closes the worker: then every call still running
 * is cancelled, its `finally` blocks run, and the thread ends. `options` are the
 * loop's, as `run()` takes them: `asyncContext: true` for a worker whose tracing
 * or logging uses `AsyncLocalStorage`, `debug`, a `logger`.
 *
 * @example
 * ```ts
 * // worker.ts
 * export const api = {
 *   *fib(n: number): Coro<number> { ... yield* sleep(0) ... },
 *   async fetchJson(url: string, signal: AbortSignal) { return (await fetch(url, { signal })).json(); },
 * };
 * expose(api);
 * // or, with each task kept in the AsyncLocalStorage stores it was made in:
 * expose(api, { asyncContext: true });
 * ```
 */
export function expose<ParentApi = Record<string, never>>(functions: Exposed, options: EventLoopOptions = {}): ParentHandle<ParentApi> {
  const endpoint = host.parentEndpoint();
  if (endpoint === null) {
    throw new RuntimeError("expose() runs in a worker module; on the main thread, pass functions to spawnWorker(url, { expose }).");
  }
  if (exposedHere) throw new RuntimeError("expose() was already called in this worker; expose all functions in one call.");
  const loop = new EventLoop(options); // before anything starts: it checks the options
  exposedHere = true;

  const connection = new Connection(endpoint, loop, functions, { peerName: "the parent thread" });
  // The parent may ask what this worker is waiting on (captureTaskTree({ threads: true })).
  connection.treeResponder = answerTaskTree;
  const closeRequested = new LabelledFuture<void>(loop, "the parent's close request");
  connection.onCloseRequest = () => {
    if (!closeRequested.done()) closeRequested.setResult();
  };
  host.onSelfClose(() => connection.announceClosed());

  function* serveUntilClosed(): Coro<void> {
    connection.announce();
    yield* closeRequested;
    yield* connection.cancelServing(); // their finally blocks run, their replies go out
  }
  loop.runUntilComplete(loop.createTask(serveUntilClosed(), { name: "serve" })).then(
    async () => {
      try {
        // What the worker started besides the calls is cancelled and unwinds too, as run() does.
        await closeLoop(loop);
      } finally {
        connection.announceClosed();
        connection.dispose();
        host.exitCurrentThread();
      }
    },
    (error: unknown) => {
      console.error("asyncio-ts: the worker's event loop failed", error);
      host.exitCurrentThread();
    },
  );
  return { api: remoteApi<ParentApi>(connection), connection };
}
