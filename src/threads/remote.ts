import type { Coro } from "../futures/coroutine.js";
import type { Task } from "../futures/task.js";
import type { Connection } from "./connection.js";

/** What calling `F` on another thread gives locally: a task of its result. */
type RemoteResult<R> = R extends Coro<infer T> ? T : R extends PromiseLike<infer T> ? T : R;

/**
 * The typed view of another thread's exposed functions: each returns a local
 * `Task` (the idea of comlink's `Remote<T>`, with tasks instead of promises).
 * An async function's trailing `AbortSignal` parameter is supplied by the other
 * side; do not pass one.
 */
export type RemoteApi<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: WithoutSignal<A>) => Task<RemoteResult<R>> : never;
};

/** The parameters a caller passes: a trailing `AbortSignal` is supplied by the serving side. */
type WithoutSignal<A extends unknown[]> = A extends [...infer Rest, AbortSignal] ? Rest : A;

/** The names of `Api`'s functions: what a by-name call (`call`, `map`) accepts. */
export type ExposedName<Api> = Extract<{ [K in keyof Api]: Api[K] extends (...args: any[]) => unknown ? K : never }[keyof Api], string>;

/** The arguments a by-name call of `Api[K]` takes (without the `AbortSignal` the other side supplies). */
export type CallArgs<Api, K extends keyof Api> = Api[K] extends (...args: infer A) => unknown ? WithoutSignal<A> : never;

/** What a by-name call of `Api[K]` gives: the function's result, unwrapped from its coroutine or promise. */
export type CallResult<Api, K extends keyof Api> = Api[K] extends (...args: any[]) => infer R ? RemoteResult<R> : never;

/** A proxy turning `api.name(...args)` into `connection.call(name, args)`. */
export function remoteApi<T>(connection: Connection): RemoteApi<T> {
  return new Proxy({} as RemoteApi<T>, {
    get(_target, name) {
      if (typeof name !== "string" || name === "then") return undefined; // not thenable
      return (...args: unknown[]) => connection.call(name, args);
    },
  });
}
