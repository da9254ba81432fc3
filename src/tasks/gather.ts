import type { ResultOf } from "../futures/coroutine.js";
import { Future, cancelledError } from "../futures/future.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { type FutureSource, ensureFuture } from "./create-task.js";

/**
 * Up to this many arguments, a repeated one is found by comparing it with those
 * before it; beyond, by a hash set. Hashing a generator object the first time
 * costs 100-250 ns on the test machine (a plain object's ~35), a comparison ~1.
 */
const SCAN_LIMIT = 32;

/** Options of `gather`, given as its last argument. */
export interface GatherOptions {
  /** Return errors (and `CancelledError`s) in the result list instead of throwing the first one. */
  returnExceptions?: boolean;
}

type Results<A extends readonly unknown[]> = { -readonly [K in keyof A]: ResultOf<A[K]> };

/**
 * The future `gather` returns: cancelling it cancels every child (asyncio's
 * `_GatheringFuture`).
 */
export class GatheringFuture<T> extends Future<T> {
  /** @internal Set when a cancel() reached at least one child. */
  _cancelRequested = false;

  constructor(private readonly children: readonly Future<unknown>[], loop: EventLoop) {
    super(loop);
  }

  /** @internal Waiting on a gather waits on its children (the call graph shows them). */
  override _awaitedFutures(): readonly Future<unknown>[] {
    return this.children;
  }

  /** @internal */
  override _describeWait(): { kind: string; description: string } {
    return { kind: "gather", description: `gather of ${this.children.length}` };
  }

  /** Cancels every child that is not done; returns whether any was. */
  override cancel(message?: string): boolean {
    if (this.done()) return false;
    let cancelledAny = false;
    for (const child of this.children) if (child.cancel(message)) cancelledAny = true;
    // Whatever returnExceptions says, a cancel that reached a child cancels the gather.
    if (cancelledAny) this._cancelRequested = true;
    return cancelledAny;
  }
}

/**
 * Runs awaitables concurrently and returns their results in order, as a future
 * (so both `yield*` and `await` work). Each awaitable is its own argument, as in
 * asyncio: spread a list (`gather(...tasks)`); an array argument is a `TypeError`. The first error is thrown (the others keep
 * running) unless `returnExceptions` is set, in which case errors take their place
 * in the list. Cancelling the gather cancels all children; a child cancelled on its
 * own counts as an error (`CancelledError`).
 *
 * @example
 * ```ts
 * const [a, b] = yield* gather(fetchA(), fetchB());
 * const outcomes = yield* gather(t1, t2, { returnExceptions: true });
 * ```
 */
export function gather<A extends readonly FutureSource<unknown>[]>(...args: [...A]): GatheringFuture<Results<A>>;
export function gather<A extends readonly FutureSource<unknown>[]>(...args: [...A, GatherOptions]): GatheringFuture<Results<A>>;
export function gather(...args: unknown[]): GatheringFuture<unknown[]> {
  let returnExceptions = false;
  const last = args[args.length - 1];
  if (isGatherOptions(last)) {
    returnExceptions = last.returnExceptions === true;
    args = args.slice(0, -1);
  }
  const loop = args.find((arg): arg is Future<unknown> => arg instanceof Future)?.getLoop() ?? getRunningLoop();
  // Validate everything before scheduling anything: a bad argument starts no task.
  // A future given twice is simply waited on twice (counted per occurrence); any
  // other awaitable given twice maps to one task (asyncio's arg_to_fut): the one
  // made for its first occurrence, children[first] for args[first].
  const children: Future<unknown>[] = [];
  const scan = args.length <= SCAN_LIMIT;
  /** Beyond SCAN_LIMIT: each awaitable seen, and (from the first repeat on) where it first was. */
  let seen: Set<unknown> | null = null;
  let firstIndex: Map<unknown, number> | null = null;
  try {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg instanceof Future) {
        children.push(arg);
        continue;
      }
      if (Array.isArray(arg)) {
        // asyncio's gather(*aws): a list is not an awaitable. Refused rather than read
        // as Promise.all reads it, so the result type always matches the arguments.
        throw new TypeError(`gather takes awaitables as separate arguments, got an array of ${arg.length}: write gather(...array)`);
      }
      let first = i;
      if (scan) {
        first = args.indexOf(arg);
      } else {
        // One hash per argument: a Set's size grows or not (a Map's get and set were 5-9% slower at 1e5).
        seen ??= new Set();
        const size = seen.size;
        seen.add(arg);
        if (seen.size > size) firstIndex?.set(arg, i);
        else first = (firstIndex ??= firstOccurrences(args, i)).get(arg)!;
      }
      children.push(first < i ? children[first]! : ensureFuture(arg as FutureSource<unknown>, loop));
    }
  } catch (error) {
    // Stop the tasks made for the arguments before the bad one (each once).
    for (const made of new Set(children.filter((_, i) => !(args[i] instanceof Future)))) made.cancel();
    throw error;
  }

  const outer = new GatheringFuture<unknown[]>(children, loop);
  if (children.length === 0) {
    outer.setResult([]);
    return outer;
  }
  let finished = 0;
  const onChildDone = (child: Future<unknown>): void => {
    finished++;
    if (outer.done()) {
      if (!child.cancelled()) child.exception(); // mark its error as retrieved: gather already reported
      return;
    }
    if (!returnExceptions) {
      if (child.cancelled()) {
        outer.setException(child.makeCancelledError());
        return;
      }
      const error = child.exception();
      if (error !== undefined) {
        outer.setException(error);
        return;
      }
    }
    if (finished === children.length) {
      const results = children.map((c) => (c.cancelled() ? cancelledError(c._cancelMessage ?? "") : c.exception() ?? c.result()));
      if (outer._cancelRequested) outer.setException(child.makeCancelledError());
      else outer.setResult(results);
    }
  };
  const alreadyDone: Future<unknown>[] = [];
  for (const child of children) {
    if (child.done()) alreadyDone.push(child);
    else child.addDoneCallback(onChildDone);
  }
  for (const child of alreadyDone) onChildDone(child);
  return outer;
}

/** Where each argument before `end` that is not a future first occurs. */
function firstOccurrences(args: readonly unknown[], end: number): Map<unknown, number> {
  const first = new Map<unknown, number>();
  for (let i = 0; i < end; i++) if (!(args[i] instanceof Future) && !first.has(args[i])) first.set(args[i], i);
  return first;
}

function isGatherOptions(value: unknown): value is GatherOptions {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Future) &&
    typeof (value as PromiseLike<unknown>).then !== "function" &&
    typeof (value as Iterator<unknown>).next !== "function"
  );
}
