import type { Future } from "./future.js";

/**
 * @internal Marks a done callback as standing for a task that awaits the future
 * the callback is added to, though the task waits on something else: a TaskGroup's
 * parent awaits its children this way (asyncio 3.14's `future_add_to_awaited_by`).
 * The mark is one property on a callback made once per group, read only when a
 * call graph is captured.
 */
const AWAITED_BY: unique symbol = Symbol("asyncio-ts awaited by");

interface MarkedCallback {
  [AWAITED_BY]?: () => Future<unknown> | null;
}

/** @internal Returns `callback`, marked: `awaiter()` is who awaits the futures it is added to. */
export function markAwaitedBy<F extends (...args: never[]) => void>(callback: F, awaiter: () => Future<unknown> | null): F {
  (callback as MarkedCallback)[AWAITED_BY] = awaiter;
  return callback;
}

/** @internal Who awaits a future through `callback`, if it was marked. */
export function awaiterThrough(callback: unknown): Future<unknown> | null {
  if (typeof callback !== "function") return null;
  return (callback as MarkedCallback)[AWAITED_BY]?.() ?? null;
}
