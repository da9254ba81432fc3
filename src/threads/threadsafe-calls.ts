import { host } from "#platform";
import { describeValue } from "../errors.js";
import type { Future } from "../futures/future.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { Connection, type Exposed } from "./connection.js";
import { type RemoteApi, remoteApi } from "./remote.js";
import { WorkerHandle } from "./spawn-worker.js";
import { checkPort } from "../validate.js";

/** Another thread: a spawned worker, the parent (from `expose()`), or a connection over a port. */
export type ThreadTarget = WorkerHandle<any> | ConnectedThread<unknown> | Connection;

/** A thread reached over a connection: the parent (from `expose()`) or a port's peer (from `connectPort()`). */
export interface ConnectedThread<Api> {
  /** Typed calls of what the other thread exposes. */
  readonly api: RemoteApi<Api>;
  /** The call channel. */
  readonly connection: Connection;
}

/** Both ends of a channel between threads (`MessagePort`s of the host). */
export interface Channel {
  /** One end: hand it to one thread. */
  readonly port1: unknown;
  /** The other end: hand it to the other thread. */
  readonly port2: unknown;
}

function connectionOf(target: ThreadTarget): Connection {
  if (target instanceof Connection) return target;
  if (target instanceof WorkerHandle || (typeof target === "object" && target !== null && target.connection instanceof Connection)) {
    return target.connection;
  }
  throw new TypeError(`Expected a worker handle, the parent handle from expose(), or a Connection; got ${describeValue(target)}`);
}

/**
 * Submits the coroutine `name` exposed by another thread and returns a future on
 * this thread's loop (asyncio's `run_coroutine_threadsafe`). Cancelling the future
 * — or the task waiting on it — cancels the remote coroutine at its `yield*`.
 *
 * @example
 * ```ts
 * const future = runCoroutineThreadsafe(worker, "resize", image, 640);
 * const thumbnail = yield* future;
 * ```
 */
export function runCoroutineThreadsafe<T = unknown>(target: ThreadTarget, name: string, ...args: unknown[]): Future<T> {
  return connectionOf(target).call<T>(name, args);
}

/**
 * Schedules the function `name` exposed by another thread to run there soon, with
 * no reply (asyncio's `call_soon_threadsafe`). A coroutine runs as a task there;
 * its errors reach that thread's exception handler.
 *
 * @example
 * ```ts
 * callSoonThreadsafe(worker, "invalidateCache", "users");
 * ```
 */
export function callSoonThreadsafe(target: ThreadTarget, name: string, ...args: unknown[]): void {
  connectionOf(target).callSoon(name, args);
}

/** Both ends of a new channel between two threads, to hand one end to each. */
export function createChannel(): Channel {
  return host.createChannel();
}

/**
 * Calls over a port: how sibling workers talk. Hand one end of `createChannel()`
 * to each worker (move it with `transfer(port, [port])`), and each wraps its end
 * with `connectPort`, serving `functions` to the other.
 *
 * @typeParam Api - what the other side exposes (`typeof` its api object).
 * @example
 * ```ts
 * // in worker A, given a port from the main thread:
 * const sibling = connectPort<typeof workerBApi>(port, { ping: () => "pong" });
 * const answer = yield* sibling.api.compute(1);
 * ```
 */
export function connectPort<Api = Record<string, (...args: any[]) => unknown>>(port: unknown, functions: Exposed = {}): ConnectedThread<Api> {
  checkPort(port, "connectPort");
  const connection = new Connection(host.adaptPort(port), getRunningLoop(), functions, { peerName: "the thread across the port" });
  connection.announce();
  return { api: remoteApi<Api>(connection), connection };
}
