import { describe, expect, it } from "vitest";
import {
  type Coro,
  type ExceptionContext,
  Lock,
  Queue,
  ThreadSafeBarrier,
  ThreadSafeEvent,
  ThreadSafeLock,
  ThreadSafeQueue,
  ThreadSafeSemaphore,
  createTask,
  ensureFuture,
  getRunningLoop,
  sleep,
} from "../../src/index.js";
import { backends } from "../threadsafe/fixtures/backends.js";
import { runVirtual } from "../support/harness.js";

const collectGarbage = (globalThis as { gc?: () => void }).gc;

/** Collects garbage and gives finalization callbacks their turn (a host task), until `done()` or `rounds` rounds. */
function* collectUntil(done: () => boolean, rounds: number): Coro<void> {
  for (let round = 0; round < rounds && !done(); round++) {
    collectGarbage!();
    yield* ensureFuture(new Promise((resolve) => setTimeout(resolve, 0)));
  }
}

describe("coroutine was never awaited (debug mode)", () => {
  it("reports a library coroutine written without yield*, with where it was made, and no coroutine that was started", async () => {
    expect(collectGarbage, "the test runs with --expose-gc").toBeTypeOf("function");
    for (const debug of [true, false]) {
      const reported: ExceptionContext[] = [];
      await runVirtual(
        function* main() {
          getRunningLoop().setExceptionHandler((_loop, context) => {
            if (/was never awaited/.test(context.message)) reported.push(context);
          });
          const lock = new Lock();
          const queue = new Queue<number>();
          (function forgetful(): void {
            sleep(10); // the mistake: no yield*
            lock.acquire();
          })();
          // Started every way a coroutine can be: none of these is reported.
          yield* sleep(1);
          yield* queue.put(1);
          yield* createTask(queue.get());
          void sleep(2).then(() => {});
          yield* sleep(5);
          // Without debug mode nothing is watched: a few rounds show nothing comes.
          yield* collectUntil(() => (debug ? reported.length >= 2 : false), debug ? 20 : 3);
        },
        { debug },
      );
      if (!debug) {
        expect(reported).toEqual([]);
        continue;
      }
      expect(reported.map((context) => context.message).sort()).toEqual([
        "coroutine 'Lock.acquire' was never awaited: put yield* (or await) before the call, or hand it to createTask()",
        "coroutine 'sleep' was never awaited: put yield* (or await) before the call, or hand it to createTask()",
      ]);
      for (const context of reported) expect(String(context.sourceTraceback)).toMatch(/forgetful/);
    }
  });

  it.each(backends)("names a thread-safe primitive's method as it was called (%s backend), and reports each once", async (backend) => {
    const reported: string[] = [];
    await runVirtual(
      function* main() {
        getRunningLoop().setExceptionHandler((_loop, context) => {
          if (/was never awaited/.test(context.message)) reported.push(context.message.split("'")[1]!);
        });
        const queue = new ThreadSafeQueue<number>({ backend });
        (function forgetful(): void {
          new ThreadSafeLock({ backend }).acquire();
          new ThreadSafeSemaphore(1, { backend }).acquire();
          queue.get();
          queue.put(1);
          new ThreadSafeEvent({ backend }).wait();
          new ThreadSafeBarrier(2, { backend }).wait();
        })();
        yield* queue.put(2); // started: not reported
        yield* collectUntil(() => reported.length >= 6, 20);
      },
      { debug: true },
    );
    expect(reported.sort()).toEqual(["ThreadSafeBarrier.wait", "ThreadSafeEvent.wait", "ThreadSafeLock.acquire", "ThreadSafeQueue.get", "ThreadSafeQueue.put", "ThreadSafeSemaphore.acquire"]);
  });
});
