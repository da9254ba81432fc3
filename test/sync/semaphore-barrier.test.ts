import { describe, expect, it } from "vitest";
import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  CancelledError,
  type Coro,
  Semaphore,
  ValueError,
  createTask,
  gather,
  getRunningLoop,
  sleep,
  withLock,
} from "../../src/index.js";
import { Log, caught, runV } from "../support/harness.js";

// Modelled on CPython's Lib/test/test_asyncio/test_locks.py (SemaphoreTests, BarrierTests).

describe("Semaphore", () => {
  it("lets `value` tasks in at once and queues the rest in FIFO order", async () => {
    const log = new Log();
    await runV(function* () {
      const semaphore = new Semaphore(2);
      const worker = function* (name: string): Coro<void> {
        yield* withLock(semaphore, function* () {
          log.add(`${name} in at ${getRunningLoop().time()}`);
          yield* sleep(10);
        });
      };
      yield* gather(worker("a"), worker("b"), worker("c"), worker("d"), worker("e"));
    });
    expect(log.events).toEqual(["a in at 0", "b in at 0", "c in at 10", "d in at 10", "e in at 20"]);
  });

  it("acquires without yielding while permits are free, and reports locked() when none are", async () => {
    const log = new Log();
    await runV(function* () {
      const semaphore = new Semaphore(1);
      getRunningLoop().callSoon(() => log.add("callback"));
      yield* semaphore.acquire();
      log.add("acquired");
      expect(semaphore.locked()).toBe(true);
      semaphore.release();
      expect(semaphore.locked()).toBe(false);
      yield* sleep(0);
    });
    expect(log.events).toEqual(["acquired", "callback"]);
  });

  it("keeps FIFO: a newcomer waits behind queued waiters even when a permit is free", async () => {
    const log = new Log();
    await runV(function* () {
      const semaphore = new Semaphore(1);
      yield* semaphore.acquire();
      const queued = createTask(
        (function* (): Coro<void> {
          yield* semaphore.acquire();
          log.add("queued");
          semaphore.release();
        })(),
      );
      yield* sleep(0);
      semaphore.release(); // the permit is given to `queued`
      expect(semaphore.locked()).toBe(true);
      const newcomer = createTask(
        (function* (): Coro<void> {
          yield* semaphore.acquire();
          log.add("newcomer");
          semaphore.release();
        })(),
      );
      yield* queued;
      yield* newcomer;
    });
    expect(log.events).toEqual(["queued", "newcomer"]);
  });

  it("gives the permit back when a woken waiter is cancelled before it takes it", async () => {
    await runV(function* () {
      const semaphore = new Semaphore(1);
      yield* semaphore.acquire();
      const a = createTask(semaphore.acquire());
      const b = createTask(semaphore.acquire());
      yield* sleep(0);
      semaphore.release(); // permit goes to a
      a.cancel();
      expect(yield* caught(a)).toBeInstanceOf(CancelledError);
      expect(yield* b).toBe(true); // the permit moved on to b
      semaphore.release();
      expect(semaphore.locked()).toBe(false);
    });
  });

  it("gives the permit back when a woken acquire is closed with return() before it takes it", async () => {
    await runV(function* () {
      const semaphore = new Semaphore(1);
      yield* semaphore.acquire();
      const woken = semaphore.acquire();
      expect(woken.next().done).toBe(false); // waits
      const next = createTask(semaphore.acquire());
      yield* sleep(0);
      semaphore.release(); // the permit goes to `woken` ...
      woken.return(false); // ... which gives it back: `next` takes it
      expect(yield* next).toBe(true);
      expect(semaphore.locked()).toBe(true);
      semaphore.release();
      expect(semaphore.locked()).toBe(false);
    });
  });

  it("does not hang when waiters are cancelled and permits released at the same time", async () => {
    await runV(function* () {
      const semaphore = new Semaphore(0);
      const first = createTask(semaphore.acquire());
      const second = createTask(semaphore.acquire());
      yield* sleep(0);
      semaphore.release();
      semaphore.release();
      first.cancel();
      yield* caught(first);
      expect(yield* second).toBe(true);
      expect(semaphore.locked()).toBe(false); // the cancelled waiter's permit is free again
    });
  });

  it("refuses a negative or non-integer value", () => {
    expect(() => new Semaphore(-1)).toThrow(ValueError);
    expect(() => new Semaphore(-1)).toThrow(/must be >= 0/);
    expect(() => new Semaphore(1.5)).toThrow(TypeError);
  });
});

describe("BoundedSemaphore", () => {
  it("refuses a release beyond its initial value with ValueError", async () => {
    await runV(function* () {
      const semaphore = new BoundedSemaphore(2);
      expect(() => semaphore.release()).toThrow(/released too many times/);
      yield* semaphore.acquire();
      semaphore.release();
      expect(() => semaphore.release()).toThrow(ValueError);
    });
  });
});

describe("Barrier", () => {
  it("releases all parties together and gives each its arrival index", async () => {
    await runV(function* () {
      const barrier = new Barrier(3);
      const arrivals: number[] = [];
      const party = function* (delay: number): Coro<number> {
        yield* sleep(delay);
        const index = yield* barrier.wait();
        arrivals.push(getRunningLoop().time());
        return index;
      };
      const indices = yield* gather(party(30), party(10), party(20));
      expect(indices).toEqual([2, 0, 1]);
      expect(arrivals).toEqual([30, 30, 30]);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.parties).toBe(3);
    });
  });

  it("can be used for several rounds", async () => {
    await runV(function* () {
      const barrier = new Barrier(2);
      const party = function* (): Coro<number[]> {
        const indices: number[] = [];
        for (let round = 0; round < 3; round++) indices.push(yield* barrier.wait());
        return indices;
      };
      const [a, b] = yield* gather(party(), party());
      expect([...a!, ...b!].sort()).toEqual([0, 0, 0, 1, 1, 1]);
    });
  });

  it("counts waiters, and a cancelled waiter leaves the count", async () => {
    await runV(function* () {
      const barrier = new Barrier(3);
      const waiter = createTask(barrier.wait());
      const other = createTask(barrier.wait());
      yield* sleep(1);
      expect(barrier.nWaiting).toBe(2);
      waiter.cancel();
      yield* caught(waiter);
      expect(barrier.nWaiting).toBe(1);
      other.cancel();
      yield* caught(other);
    });
  });

  it("breaks current waits with BrokenBarrierError on reset, then works again", async () => {
    await runV(function* () {
      const barrier = new Barrier(2);
      const waiter = createTask(barrier.wait());
      yield* sleep(1);
      yield* barrier.reset();
      expect(yield* caught(waiter)).toBeInstanceOf(BrokenBarrierError);
      expect(barrier.broken).toBe(false);
      const indices = yield* gather(barrier.wait(), barrier.wait());
      expect(indices.sort()).toEqual([0, 1]);
    });
  });

  it("fails current and later waits once aborted", async () => {
    await runV(function* () {
      const barrier = new Barrier(2);
      const waiter = createTask(barrier.wait());
      yield* sleep(1);
      yield* barrier.abort();
      expect(barrier.broken).toBe(true);
      expect(yield* caught(waiter)).toBeInstanceOf(BrokenBarrierError);
      expect(yield* caught(barrier.wait())).toBeInstanceOf(BrokenBarrierError);
    });
  });

  it("refuses fewer than one party", () => {
    expect(() => new Barrier(0)).toThrow(ValueError);
    expect(() => new Barrier("2" as never)).toThrow(TypeError);
  });
});
