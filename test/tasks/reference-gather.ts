// CPython 3.13's asyncio.gather and _GatheringFuture (Lib/asyncio/tasks.py), line
// for line, on this library's loop, futures and ensureFuture: the reference gather()
// is compared with in gather.differential.test.ts.
import { CancelledError, type EventLoop, Future, type FutureSource, ensureFuture, getRunningLoop } from "../../src/index.js";

class ReferenceGatheringFuture extends Future<unknown[]> {
  cancelRequested = false;

  constructor(
    private readonly children: Future<unknown>[],
    loop: EventLoop,
  ) {
    super(loop);
  }

  override cancel(message?: string): boolean {
    if (this.done()) return false;
    let cancelled = false;
    for (const child of this.children) if (child.cancel(message)) cancelled = true;
    // Any child actually cancelled propagates the cancellation, whatever return_exceptions says.
    if (cancelled) this.cancelRequested = true;
    return cancelled;
  }
}

export function referenceGather(args: readonly FutureSource<unknown>[], returnExceptions: boolean): Future<unknown[]> {
  const loop = getRunningLoop();
  if (args.length === 0) {
    const outer = loop.createFuture<unknown[]>();
    outer.setResult([]);
    return outer;
  }
  let outer: ReferenceGatheringFuture | null = null;
  let finished = 0;
  const children: Future<unknown>[] = [];
  const doneCallback = (future: Future<unknown>): void => {
    finished++;
    if (outer === null || outer.done()) {
      if (!future.cancelled()) future.exception(); // mark the exception retrieved
      return;
    }
    if (!returnExceptions) {
      if (future.cancelled()) {
        outer.setException(future.makeCancelledError());
        return;
      }
      const error = future.exception();
      if (error !== undefined) {
        outer.setException(error);
        return;
      }
    }
    if (finished === count) {
      const results = children.map((child) =>
        child.cancelled() ? new CancelledError(child._cancelMessage ?? "") : child.exception() ?? child.result(),
      );
      if (outer.cancelRequested) outer.setException(future.makeCancelledError());
      else outer.setResult(results);
    }
  };
  const argToFuture = new Map<unknown, Future<unknown>>();
  let count = 0;
  const doneFutures: Future<unknown>[] = [];
  for (const arg of args) {
    let future = argToFuture.get(arg);
    if (future === undefined) {
      future = ensureFuture(arg);
      count++;
      argToFuture.set(arg, future);
      if (future.done()) doneFutures.push(future);
      else future.addDoneCallback(doneCallback);
    }
    children.push(future);
  }
  outer = new ReferenceGatheringFuture(children, loop);
  for (const future of doneFutures) doneCallback(future);
  return outer;
}
