import { describe, expect, it } from "vitest";
import {
  BrokenBarrierError,
  type Coro,
  RuntimeError,
  ThreadSafeBarrier,
  ThreadSafeBoundedSemaphore,
  ThreadSafeEvent,
  ThreadSafeLock,
  ThreadSafeQueue,
  ThreadSafeSemaphore,
  ValueError,
  allTasks,
  ensureFuture,
  gather,
  run,
  sleep,
  waitFor,
} from "../../src/index.js";
import { caught } from "../support/harness.js";
import { backends } from "./fixtures/backends.js";
import { withWorkers } from "./fixtures/with-workers.js";


/** Everything in a queue, drained on its owner. */
function drained<T>(queue: ThreadSafeQueue<T>): T[] {
  const items: T[] = [];
  while (!queue.empty()) items.push(queue.getNowait());
  return items;
}

describe.each(backends)("thread-safe primitives across threads (%s backend)", { timeout: 30_000 }, (backend) => {
  it("ThreadSafeLock excludes mutually across three threads: critical sections never interleave", async () => {
    const log = await withWorkers(2, function* (a, b) {
      const lock = new ThreadSafeLock({ backend });
      const log = new ThreadSafeQueue<string>({ backend });
      function* mine(): Coro<void> {
        for (let r = 0; r < 5; r++) {
          using _held = yield* lock.hold();
          yield* log.put("enter main");
          yield* sleep(1);
          yield* log.put("exit main");
        }
      }
      yield* gather(mine(), a.api.critical(lock, log, 5), b.api.critical(lock, log, 5));
      // A holder's release travels on its own port, so it may land just after the
      // holder's answer: the lock is free once it has (no deadlock, nothing held).
      yield* waitFor(lock.acquire(), 5000);
      lock.release();
      return drained(log);
    });
    expect(log).toHaveLength(30);
    for (let i = 0; i < log.length; i += 2) {
      expect(log[i]!.startsWith("enter ")).toBe(true);
      expect(log[i + 1]).toBe(`exit ${log[i]!.slice(6)}`);
    }
  });

  it("ThreadSafeLock: a waiter in another thread that times out leaves nothing behind", async () => {
    await withWorkers(1, function* (worker) {
      const lock = new ThreadSafeLock({ backend });
      yield* lock.acquire();
      expect(yield* worker.api.acquireWithin(lock, 20)).toBe("TimeoutError");
      lock.release();
      yield* sleep(10);
      expect(lock.locked()).toBe(false); // the cancelled waiter did not take it
      expect(yield* worker.api.acquireWithin(lock, 1000)).toBe("acquired");
      yield* waitFor(lock.acquire(), 5000); // its release arrived (see above)
      lock.release();
      expect(() => lock.release()).toThrow(RuntimeError);
    });
  });

  it("ThreadSafeLock: 1e4 tries cancelled as the owner grants them never make two holders or lose the lock", async () => {
    await withWorkers(2, function* (a, b) {
      const lock = new ThreadSafeLock({ backend });
      const rounds = 5_000;
      const got = yield* gather(a.api.raceLock(lock, rounds), b.api.raceLock(lock, rounds));
      expect(got[0]! + got[1]!).toBeGreaterThan(0);
      // Every release was of a held lock (a second holder's would be refused and reported there).
      expect([...(yield* a.api.reported()), ...(yield* b.api.reported())]).toEqual([]);
      yield* waitFor(lock.acquire(), 5000); // free again: no grant was lost to a cancelled waiter
      lock.release();
    });
  });

  it("ThreadSafeSemaphore lets at most `value` hold it at once, over every thread", async () => {
    const log = await withWorkers(2, function* (a, b) {
      const semaphore = new ThreadSafeSemaphore(2, { backend });
      const log = new ThreadSafeQueue<string>({ backend });
      yield* gather(a.api.withPermit(semaphore, log, 10), b.api.withPermit(semaphore, log, 10), a.api.withPermit(semaphore, log, 10), b.api.withPermit(semaphore, log, 10));
      return drained(log);
    });
    let inside = 0;
    let most = 0;
    for (const entry of log) {
      inside += entry === "in" ? 1 : -1;
      most = Math.max(most, inside);
    }
    expect(log).toHaveLength(8);
    expect(most).toBeLessThanOrEqual(2);
  });

  it("acquire() is awaitable from async code as well as yield*-able, on the thread that made it and on another", async () => {
    await withWorkers(1, function* (worker) {
      const lock = new ThreadSafeLock({ backend });
      const semaphore = new ThreadSafeSemaphore(1, { backend });
      const fromAsync = async (): Promise<boolean[]> => [await lock.acquire(), await semaphore.acquire()];
      expect(yield* ensureFuture(fromAsync())).toEqual([true, true]);
      expect([lock.locked(), semaphore.locked()]).toEqual([true, true]);
      lock.release();
      semaphore.release();
      expect(yield* worker.api.acquireWithin(lock, 1000)).toBe("acquired");
    });
  });

  it("an await of a lock's or semaphore's acquire() or an event's wait() that need not wait makes no task on the thread that made it; one that waits runs as a task", async () => {
    await run(async () => {
      const lock = new ThreadSafeLock({ backend });
      const semaphore = new ThreadSafeSemaphore(1, { backend });
      const event = new ThreadSafeEvent({ backend });
      event.set();
      const tasks = allTasks().size;
      // The state is at hand here (shared memory, or the owner's own primitive).
      const locked = lock.acquire().then((got) => got);
      const acquired = semaphore.acquire().then((got) => got);
      const waited = event.wait().then((got) => got);
      expect([lock.locked(), semaphore.locked()]).toEqual([true, true]); // taken in then()
      expect(allTasks().size).toBe(tasks);
      expect([await locked, await acquired, await waited]).toEqual([true, true, true]);
      // Held (no permit): an acquire waits, as a task of its own, until a release.
      for (const held of [lock, semaphore]) {
        let taken = false;
        const waiting = held.acquire().then(() => (taken = true));
        expect(allTasks().size).toBe(tasks + 1);
        await sleep(1);
        expect(taken).toBe(false);
        held.release();
        expect(await waiting).toBe(true);
        expect(held.locked()).toBe(true);
        held.release();
      }
      event.clear();
      const unset = event.wait();
      const outcome = await waitFor(unset, 5).then(() => "set", (error: unknown) => (error as Error).name);
      expect(outcome).toBe("TimeoutError"); // a wait that had to wait is cancellable
    });
  });

  it("ThreadSafeBoundedSemaphore refuses an over-release", async () => {
    await run(
      (function* (): Coro<void> {
        const semaphore = new ThreadSafeBoundedSemaphore(1, { backend });
        expect(() => semaphore.release()).toThrow(ValueError);
      })(),
    );
  });

  it("ThreadSafeEvent: a set() on any thread wakes the waiters on every thread", async () => {
    await withWorkers(2, function* (a, b) {
      const go = new ThreadSafeEvent({ backend });
      const waiting = [a.api.waitForEvent(go), b.api.waitForEvent(go)];
      yield* sleep(20);
      expect(waiting.some((task) => task.done())).toBe(false);
      go.set();
      expect(yield* gather(...waiting)).toEqual([true, true]);
      const back = new ThreadSafeEvent({ backend });
      const mine = back.wait();
      yield* a.api.setEvent(back); // set from a worker
      expect(yield* mine).toBe(true);
    });
  });

  it("ThreadSafeBarrier meets parties on three threads and gives each its index", async () => {
    await withWorkers(2, function* (a, b) {
      const barrier = new ThreadSafeBarrier(3, { backend });
      const indexes = yield* gather(barrier.wait(), a.api.meet(barrier), b.api.meet(barrier));
      expect([...indexes].sort()).toEqual([0, 1, 2]);
      const aborting = a.api.meet(barrier);
      yield* sleep(20);
      yield* barrier.abort();
      expect(yield* caught(aborting)).toBeInstanceOf(BrokenBarrierError);
    });
  });
});
