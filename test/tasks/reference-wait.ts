// CPython 3.13's asyncio.wait and shield (Lib/asyncio/tasks.py: wait, _wait,
// shield), line for line, on this library's loop, futures and tasks: the references
// wait() and shield() are compared with in wait-shield.differential.test.ts.
import { type Coro, type Future, type FutureSource, ensureFuture, getRunningLoop } from "../../src/index.js";

export type ReturnWhen = "FIRST_COMPLETED" | "FIRST_EXCEPTION" | "ALL_COMPLETED";

export function* referenceWait<T>(futures: readonly Future<T>[], timeout: number | null, returnWhen: ReturnWhen): Coro<[Set<Future<T>>, Set<Future<T>>]> {
  const fs = [...new Set(futures)];
  const loop = getRunningLoop();
  const waiter = loop.createFuture<void>();
  const releaseWaiter = (): void => {
    if (!waiter.done()) waiter.setResult();
  };
  const timeoutHandle = timeout === null ? null : loop.callLater(timeout, releaseWaiter);
  let counter = fs.length;
  const onCompletion = (future: Future<T>): void => {
    counter--;
    if (counter <= 0 || returnWhen === "FIRST_COMPLETED" || (returnWhen === "FIRST_EXCEPTION" && !future.cancelled() && future.exception() !== undefined)) {
      timeoutHandle?.cancel();
      if (!waiter.done()) waiter.setResult();
    }
  };
  for (const future of fs) future.addDoneCallback(onCompletion);
  try {
    yield* waiter;
  } finally {
    timeoutHandle?.cancel();
    for (const future of fs) future.removeDoneCallback(onCompletion);
  }
  const done = new Set<Future<T>>();
  const pending = new Set<Future<T>>();
  for (const future of fs) (future.done() ? done : pending).add(future);
  return [done, pending];
}

export function referenceShield<T>(arg: FutureSource<T>): Future<T> {
  const inner = ensureFuture(arg);
  if (inner.done()) return inner; // shortcut
  const outer = inner.getLoop().createFuture<T>();
  const innerDone = (done: Future<T>): void => {
    if (outer.cancelled()) {
      if (!done.cancelled()) done.exception(); // mark inner's result as retrieved
      return;
    }
    if (done.cancelled()) outer.cancel();
    else {
      const error = done.exception();
      if (error !== undefined) outer.setException(error);
      else outer.setResult(done.result());
    }
  };
  const outerDone = (): void => {
    if (!inner.done()) inner.removeDoneCallback(innerDone);
  };
  inner.addDoneCallback(innerDone);
  outer.addDoneCallback(outerDone);
  return outer;
}
