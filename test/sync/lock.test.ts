import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  Lock,
  RuntimeError,
  createTask,
  getRunningLoop,
  run,
  sleep,
  withLock,
} from "../../src/index.js";
import { Log, caught, runV } from "../support/harness.js";

// Modelled on CPython's Lib/test/test_asyncio/test_locks.py (LockTests).

function* holdFor(lock: Lock, ms: number, log: Log, name: string): Coro<void> {
  yield* lock.acquire();
  log.add(`${name} acquired`);
  try {
    yield* sleep(ms);
  } finally {
    lock.release();
    log.add(`${name} released`);
  }
}

describe("Lock", () => {
  it("starts unlocked, locks on acquire and unlocks on release", async () => {
    await runV(function* () {
      const lock = new Lock();
      expect(lock.locked()).toBe(false);
      expect(yield* lock.acquire()).toBe(true);
      expect(lock.locked()).toBe(true);
      expect(String(lock)).toBe("<Lock [locked]>");
      lock.release();
      expect(lock.locked()).toBe(false);
    });
  });

  it("acquires an uncontended lock without giving up the loop iteration", async () => {
    const log = new Log();
    await runV(function* () {
      const lock = new Lock();
      getRunningLoop().callSoon(() => log.add("other callback"));
      yield* lock.acquire();
      log.add("acquired");
      lock.release();
      yield* sleep(0);
    });
    expect(log.events).toEqual(["acquired", "other callback"]);
  });

  it("hands the lock over in FIFO order", async () => {
    const log = new Log();
    await runV(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      const tasks = ["a", "b", "c"].map((name) => createTask(holdFor(lock, 1, log, name)));
      yield* sleep(0);
      lock.release();
      for (const task of tasks) yield* task;
    });
    expect(log.events).toEqual(["a acquired", "a released", "b acquired", "b released", "c acquired", "c released"]);
  });

  it("does not let a newcomer barge in ahead of the woken waiter", async () => {
    const log = new Log();
    await runV(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      const waiter = createTask(holdFor(lock, 0, log, "waiter"));
      yield* sleep(0); // the waiter queues
      lock.release(); // wakes the waiter, which has not run yet
      expect(lock.locked()).toBe(false);
      const newcomer = createTask(holdFor(lock, 0, log, "newcomer"));
      yield* waiter;
      yield* newcomer;
    });
    expect(log.events).toEqual(["waiter acquired", "waiter released", "newcomer acquired", "newcomer released"]);
  });

  it("removes a cancelled waiter and keeps serving the others", async () => {
    const log = new Log();
    await runV(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      const a = createTask(holdFor(lock, 0, log, "a"));
      const b = createTask(holdFor(lock, 0, log, "b"));
      yield* sleep(0);
      a.cancel();
      yield* sleep(0);
      lock.release();
      yield* b;
      expect(yield* caught(a)).toBeInstanceOf(CancelledError);
      expect(lock.locked()).toBe(false);
    });
    expect(log.events).toEqual(["b acquired", "b released"]);
  });

  it("passes the lock on when a waiter is cancelled after it was woken", async () => {
    const log = new Log();
    await runV(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      const a = createTask(holdFor(lock, 0, log, "a"));
      const b = createTask(holdFor(lock, 0, log, "b"));
      yield* sleep(0);
      lock.release(); // a is woken ...
      a.cancel(); // ... and cancelled before it runs
      yield* caught(a);
      yield* b;
      expect(lock.locked()).toBe(false);
    });
    expect(log.events).toEqual(["b acquired", "b released"]);
  });

  it("passes the lock on when a waiting acquire, woken or not, is closed with return()", async () => {
    await runV(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      const closed = lock.acquire();
      expect(closed.next().done).toBe(false); // waits
      const woken = lock.acquire();
      woken.next();
      const last = createTask(lock.acquire());
      yield* sleep(0);
      closed.return(false); // leaves the queue without the lock
      lock.release(); // wakes `woken` ...
      woken.return(false); // ... which is closed before it takes the lock: it goes on
      expect(yield* last).toBe(true);
      expect(lock.locked()).toBe(true);
    });
  });

  it("can be re-acquired at once when every waiter was cancelled", async () => {
    await runV(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      const waiter = createTask(lock.acquire());
      yield* sleep(0);
      waiter.cancel();
      lock.release();
      yield* caught(waiter);
      // The queue holds only a cancelled waiter: no need to wait.
      yield* lock.acquire();
      expect(lock.locked()).toBe(true);
    });
  });

  it("refuses release() when not locked, saying why", async () => {
    await runV(function* () {
      const lock = new Lock();
      expect(() => lock.release()).toThrow(RuntimeError);
      expect(() => lock.release()).toThrow(/Lock is not acquired/);
    });
  });

  it("can be awaited from async code, and a free lock is taken in then(), with no task", async () => {
    const value = await run(async () => {
      const lock = new Lock();
      const acquired = lock.acquire().then((result) => result);
      expect(lock.locked()).toBe(true); // taken in place
      expect(await acquired).toBe(true);
      const other = createTask(async () => {
        await lock.acquire();
        lock.release();
        return "other got it";
      });
      await sleep(1);
      expect(other.done()).toBe(false);
      lock.release();
      return await other;
    });
    expect(value).toBe("other got it");
  });

  it("is bound to the loop it was first used on", async () => {
    const lock = new Lock();
    await run(lock.acquire());
    lock.release();
    const error = await run(lock.acquire()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toMatch(/bound to a different event loop/);
  });
});

describe("holding a lock", () => {
  it("releases through withLock on return, throw and cancellation", async () => {
    await runV(function* () {
      const lock = new Lock();
      expect(
        yield* withLock(lock, function* () {
          expect(lock.locked()).toBe(true);
          return 5;
        }),
      ).toBe(5);
      expect(lock.locked()).toBe(false);

      const failed = yield* caught(
        withLock(lock, function* () {
          throw new SyntaxError("inside");
        }),
      );
      expect(failed).toBeInstanceOf(SyntaxError);
      expect(lock.locked()).toBe(false);

      const task = createTask(withLock(lock, () => sleep(1000)));
      yield* sleep(1);
      expect(lock.locked()).toBe(true);
      task.cancel();
      yield* caught(task);
      expect(lock.locked()).toBe(false);
    });
  });

  it("runs an async body with withLock from async code", async () => {
    const value = await run(async () => {
      const lock = new Lock();
      return await withLock(lock, async () => {
        await sleep(1);
        return lock.locked();
      });
    });
    expect(value).toBe(true);
  });

  it("releases a guard with using, and a guard releases only once", async () => {
    await runV(function* () {
      const lock = new Lock();
      {
        using guard = yield* lock.hold();
        expect(lock.locked()).toBe(true);
        guard.release();
        expect(guard.holding).toBe(false);
        yield* lock.acquire(); // someone else's acquisition...
      } // ... which the guard's dispose must not release
      expect(lock.locked()).toBe(true);
      lock.release();

      function* usesGuard(): Coro<void> {
        using _held = yield* lock.hold();
        yield* sleep(1000);
      }
      const task = createTask(usesGuard());
      yield* sleep(1);
      task.cancel();
      yield* caught(task);
      expect(lock.locked()).toBe(false);
    });
  });

  it("refuses withLock on something that is not a lock", () => {
    expect(() => withLock({} as never, () => sleep(1))).toThrow(/expects a Lock, Semaphore or Condition/);
    expect(() => withLock(new Lock(), 5 as never)).toThrow(/expects a function/);
  });
});
