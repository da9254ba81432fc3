import { describe, expect, it } from "vitest";
import { CancelledError, Condition, type Coro, Event, Lock, RuntimeError, createTask, getRunningLoop, sleep, withLock } from "../../src/index.js";
import { Log, caught, runV } from "../support/harness.js";

// Modelled on CPython's Lib/test/test_asyncio/test_locks.py (EventTests, ConditionTests).

describe("Event", () => {
  it("wakes every waiter on set(), and later waits return at once", async () => {
    const log = new Log();
    await runV(function* () {
      const event = new Event();
      const waiters = ["a", "b", "c"].map((name) =>
        createTask(
          (function* (): Coro<void> {
            expect(yield* event.wait()).toBe(true);
            log.add(name);
          })(),
        ),
      );
      yield* sleep(1);
      expect(log.events).toEqual([]);
      event.set();
      expect(event.isSet()).toBe(true);
      for (const waiter of waiters) yield* waiter;
      getRunningLoop().callSoon(() => log.add("callback"));
      yield* event.wait(); // set: no yield
      log.add("immediate");
      yield* sleep(0);
    });
    expect(log.events).toEqual(["a", "b", "c", "immediate", "callback"]);
  });

  it("blocks again after clear()", async () => {
    await runV(function* () {
      const event = new Event();
      event.set();
      event.clear();
      expect(event.isSet()).toBe(false);
      const waiter = createTask(event.wait());
      yield* sleep(10);
      expect(waiter.done()).toBe(false);
      event.set();
      expect(yield* waiter).toBe(true);
    });
  });

  it("forgets a cancelled waiter", async () => {
    await runV(function* () {
      const event = new Event();
      const waiter = createTask(event.wait());
      yield* sleep(0);
      expect(String(event)).toBe("<Event [unset, waiters:1]>");
      waiter.cancel();
      expect(yield* caught(waiter)).toBeInstanceOf(CancelledError);
      expect(String(event)).toBe("<Event [unset]>");
    });
  });

  it("forgets a wait closed with return(), and returns true to a waiter woken and then cleared", async () => {
    await runV(function* () {
      const event = new Event();
      const closed = event.wait();
      expect(closed.next().done).toBe(false);
      expect(String(event)).toBe("<Event [unset, waiters:1]>");
      closed.return(false);
      expect(String(event)).toBe("<Event [unset]>");
      const waiter = createTask(event.wait());
      yield* sleep(0);
      event.set();
      event.clear(); // asyncio: a waiter woken by set() returns true even so
      expect(yield* waiter).toBe(true);
      expect(String(event)).toBe("<Event [unset]>");
    });
  });
});

describe("Condition", () => {
  it("refuses wait() and notify() without the lock", async () => {
    await runV(function* () {
      const condition = new Condition();
      expect(yield* caught(condition.wait())).toBeInstanceOf(RuntimeError);
      expect(() => condition.notify()).toThrow(/cannot notify on un-acquired lock/);
      expect(() => condition.notifyAll()).toThrow(RuntimeError);
    });
  });

  it("wakes waiters in order, n at a time, each holding the lock when it returns", async () => {
    const log = new Log();
    await runV(function* () {
      const condition = new Condition();
      const waiters = [1, 2, 3].map((n) =>
        createTask(
          withLock(condition, function* () {
            yield* condition.wait();
            log.add(`waiter ${n} woke holding the lock: ${condition.locked()}`);
          }),
        ),
      );
      yield* sleep(1);
      yield* withLock(condition, function* () {
        condition.notify(1);
      });
      yield* sleep(1);
      yield* withLock(condition, function* () {
        condition.notify(2);
      });
      for (const waiter of waiters) yield* waiter;
    });
    expect(log.events).toEqual([
      "waiter 1 woke holding the lock: true",
      "waiter 2 woke holding the lock: true",
      "waiter 3 woke holding the lock: true",
    ]);
  });

  it("wakes everyone with notifyAll", async () => {
    await runV(function* () {
      const condition = new Condition();
      let woken = 0;
      const waiters = Array.from({ length: 4 }, () =>
        createTask(
          withLock(condition, function* () {
            yield* condition.wait();
            woken++;
          }),
        ),
      );
      yield* sleep(1);
      yield* withLock(condition, function* () {
        condition.notifyAll();
      });
      for (const waiter of waiters) yield* waiter;
      expect(woken).toBe(4);
    });
  });

  it("waits for a predicate, checking it first and after each notification", async () => {
    await runV(function* () {
      const condition = new Condition();
      let value = 0;
      let checks = 0;
      const waiter = createTask(
        withLock(condition, function* () {
          return yield* condition.waitFor(() => {
            checks++;
            return value >= 2 ? `value ${value}` : false;
          });
        }),
      );
      for (let i = 0; i < 2; i++) {
        yield* sleep(1);
        yield* withLock(condition, function* () {
          value++;
          condition.notify();
        });
      }
      expect(yield* waiter).toBe("value 2");
      expect(checks).toBe(3);
    });
  });

  it("re-acquires the lock before a cancelled wait() raises, even when the lock is contested", async () => {
    const log = new Log();
    await runV(function* () {
      const condition = new Condition();
      const waiter = createTask(
        withLock(condition, function* () {
          try {
            yield* condition.wait();
          } catch (error) {
            log.add(`cancelled, holding the lock: ${condition.locked()}`);
            throw error;
          }
        }),
      );
      yield* sleep(1);
      yield* condition.acquire(); // contest the lock
      waiter.cancel();
      yield* sleep(10);
      expect(waiter.done()).toBe(false); // it waits for the lock before raising
      condition.release();
      expect(yield* caught(waiter)).toBeInstanceOf(CancelledError);
      expect(condition.locked()).toBe(false);
    });
    expect(log.events).toEqual(["cancelled, holding the lock: true"]);
  });

  it("passes a notification on when the notified waiter is cancelled", async () => {
    await runV(function* () {
      const condition = new Condition();
      const first = createTask(
        withLock(condition, function* () {
          yield* condition.wait();
        }),
      );
      const second = createTask(
        withLock(condition, function* () {
          yield* condition.wait();
          return "second woke";
        }),
      );
      yield* sleep(1);
      yield* withLock(condition, function* () {
        condition.notify(1); // goes to first ...
      });
      first.cancel(); // ... which is cancelled before it runs
      yield* caught(first);
      expect(yield* second).toBe("second woke");
    });
  });

  it("shares a given lock", async () => {
    await runV(function* () {
      const lock = new Lock();
      const condition = new Condition(lock);
      yield* lock.acquire();
      expect(condition.locked()).toBe(true);
      condition.release();
      expect(lock.locked()).toBe(false);
      expect(() => new Condition({} as never)).toThrow(/expects a Lock/);
    });
  });
});
