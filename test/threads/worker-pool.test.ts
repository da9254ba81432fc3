import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  QueueShutDown,
  RuntimeError,
  WorkerCrashedError,
  WorkerPool,
  gather,
  getRunningLoop,
  run,
  setDefaultExecutor,
  sleep,
  toThread,
  wait,
  FIRST_COMPLETED,
} from "../../src/index.js";
import type { api as MathApi } from "./fixtures/math-worker.js";
import { caught } from "../support/harness.js";
import { mathWorkerUrl } from "./fixtures/worker-url.js";

type Api = typeof MathApi;


// Real threads: each worker loads its module (through tsx in Node), so allow time.
describe("WorkerPool", { timeout: 30_000 }, () => {
  it("spreads calls over its workers, several in flight on each", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 2, inflightPerWorker: 4 });
        const reports = yield* gather(...Array.from({ length: 8 }, () => pool.api.concurrency(300)));
        // Two workers got the calls, and each ran its four at the same time.
        expect(new Set(reports.map((r) => r.worker)).size).toBe(2);
        expect(reports.map((r) => r.most)).toEqual(new Array(8).fill(4));
        yield* pool.shutdown();
      })(),
    );
  });

  it("returns map results in order", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 2 });
        expect(yield* pool.map("plain", [1, 2, 3, 4, 5])).toEqual([3, 6, 9, 12, 15]);
        yield* pool.shutdown();
      })(),
    );
  });

  it("calls by name with types from the Api: starmap over argument lists, mapUnordered in finishing order", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 2 });
        try {
          const sums: number[] = yield* pool.starmap("add", [
            [1, 2],
            [3, 4],
          ]);
          expect(sums).toEqual([3, 7]);
          const one: number = yield* pool.call("plain", 2);
          expect(one).toBe(6);
          // @ts-expect-error a misspelt name does not typecheck
          expect(yield* caught(pool.map("sqaure", [1]))).toBeInstanceOf(Error);
          // @ts-expect-error nor does an argument of the wrong type
          pool.map("plain", ["x"]).then(() => {}, () => {});
          // Each result once, as it finishes (the order itself is asCompleted's, tested there).
          const finished: number[] = [];
          for (const next of pool.mapUnordered("plain", [1, 2, 3])) finished.push(yield* next);
          expect(finished.sort((a, b) => a - b)).toEqual([3, 6, 9]);
        } finally {
          yield* pool.shutdown();
        }
      })(),
    );
  });

  it("serves the functions given as expose to every worker of the pool", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 2, expose: { double: (x: number) => x * 2 } });
        try {
          expect(yield* gather(pool.api.askParent(4), pool.api.askParent(5))).toEqual([8, 10]);
        } finally {
          yield* pool.shutdown();
        }
      })(),
    );
  });

  it("yields mapUnordered results to for await in async code", async () => {
    const results = await run(async () => {
      const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 1 });
      const seen: number[] = [];
      try {
        for await (const task of pool.mapUnordered("plain", [5, 6])) seen.push(task.result());
      } finally {
        await pool.shutdown();
      }
      return seen;
    });
    expect(results.sort((a, b) => a - b)).toEqual([15, 18]);
  });

  it("makes submit wait while the queue is full", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 1, inflightPerWorker: 1, maxQueue: 1 });
        const first = yield* pool.submit("sleepy", 200); // dispatched
        yield* sleep(50);
        const second = yield* pool.submit("sleepy", 1); // queued: the queue is now full
        const third = pool.submit("sleepy", 1);
        const submitting = getRunningLoop().createTask(third);
        yield* sleep(50);
        expect(submitting.done()).toBe(false); // backpressure
        expect(yield* first).toBe("slept");
        const thirdTask = yield* submitting;
        expect([yield* second, yield* thirdTask]).toEqual(["slept", "slept"]);
        yield* pool.shutdown();
      })(),
    );
  });

  it("lets the next submit in when one waiting for room is cancelled, and counts only live queued calls", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 1, inflightPerWorker: 1, maxQueue: 1 });
        const first = yield* pool.submit("sleepy", 500); // dispatched
        yield* sleep(50);
        const second = yield* pool.submit("sleepy", 1); // queued: the queue is full
        expect(pool.queued).toBe(1);
        const loop = getRunningLoop();
        const cancelledSubmit = loop.createTask(pool.submit("add", 1, 1));
        const nextSubmit = loop.createTask(pool.submit("add", 2, 2));
        const callWaitingForRoom = pool.api.add(3, 3); // a plain call waits for room too
        yield* sleep(10);
        cancelledSubmit.cancel();
        expect(yield* caught(cancelledSubmit)).toBeInstanceOf(CancelledError);
        expect(yield* first).toBe("slept");
        expect(yield* second).toBe("slept");
        expect(yield* (yield* nextSubmit)).toBe(4);
        expect(yield* callWaitingForRoom).toBe(6);
        const blocker = pool.api.sleepy(100); // takes the only slot
        const queuedThenCancelled = pool.api.sleepy(1);
        expect(pool.queued).toBe(1);
        queuedThenCancelled.cancel();
        expect(pool.queued).toBe(0); // dropped from the queue at once
        expect(yield* caught(queuedThenCancelled)).toBeInstanceOf(CancelledError);
        expect(yield* blocker).toBe("slept");
        yield* pool.shutdown();
      })(),
    );
  });

  it("cancels a queued call without running it, and a running call in its worker", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 1, inflightPerWorker: 2 });
        const running = pool.api.sleepy(1_000_000);
        yield* pool.api.add(0, 0); // calls start in order: once this answered, `running` runs
        const blocker = pool.api.sleepy(2_000_000); // takes the second slot
        const queued = pool.api.sleepy(2);
        yield* sleep(0);
        expect(pool.queued).toBe(1);
        queued.cancel();
        expect(yield* caught(queued)).toBeInstanceOf(CancelledError);
        running.cancel();
        blocker.cancel();
        expect(yield* caught(running)).toBeInstanceOf(CancelledError);
        expect(yield* caught(blocker)).toBeInstanceOf(CancelledError);
        // The worker unwound the running call and never ran the queued one. (The
        // blocker may be cancelled before it started there: then it never ran.)
        const events = yield* pool.api.events();
        expect(events).toContain("sleepy(1000000) finally");
        expect(events).not.toContain("sleepy(2) finally");
        yield* pool.shutdown();
      })(),
    );
  });

  it("replaces a worker that crashes and keeps serving", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 2, inflightPerWorker: 3 });
        const inFlight = Array.from({ length: 4 }, () => pool.api.sleepy(1_000_000));
        yield* pool.api.crashSoon(); // the worker that runs this throws at top level
        const [done] = yield* wait(inFlight, { returnWhen: FIRST_COMPLETED });
        // The calls on the crashed worker fail at once; the others still run.
        for (const task of done) expect(yield* caught(task)).toBeInstanceOf(WorkerCrashedError);
        expect(done.size).toBeLessThan(4);
        for (const task of inFlight) task.cancel();
        yield* gather(...inFlight, { returnExceptions: true });
        const results = yield* gather(...Array.from({ length: 6 }, (_, i) => pool.api.add(i, 1)));
        expect(results).toEqual([1, 2, 3, 4, 5, 6]);
        expect(pool.workers).toBe(2);
        yield* pool.shutdown();
      })(),
    );
  });

  it("on shutdown lets running calls finish, cancels queued ones with cancelPending, and refuses new calls", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 1, inflightPerWorker: 1 });
        const running = pool.api.sleepy(200);
        const queued = pool.api.sleepy(1);
        yield* sleep(50);
        const stopping = getRunningLoop().createTask(pool.shutdown({ cancelPending: true }));
        expect(yield* caught(queued)).toBeInstanceOf(CancelledError);
        yield* stopping;
        expect(yield* running).toBe("slept"); // a running call finishes, as with asyncio's cancel_futures
        expect(yield* caught(pool.api.add(1, 2))).toBeInstanceOf(QueueShutDown);
        expect(pool.workers).toBe(0);
      })(),
    );
  });

  it("stops respawning when its workers cannot start, failing the calls", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool(new URL("./fixtures/does-not-exist.ts", import.meta.url), { size: 1 });
        const error = yield* caught(pool.call("anything"));
        expect(error).toBeInstanceOf(WorkerCrashedError);
        yield* pool.shutdown();
      })(),
    );
  });

  it("serves toThread and runInExecutor through the default executor", async () => {
    await run(
      (function* (): Coro<void> {
        expect(() => toThread("add", 1, 2)).toThrow(RuntimeError);
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 1 });
        setDefaultExecutor(pool);
        expect(yield* toThread<number>("add", 1, 2)).toBe(3);
        expect(yield* getRunningLoop().runInExecutor<number>(pool, "plain", 7)).toBe(21);
        yield* pool.shutdown();
      })(),
    );
  });

  it("refuses bad options", async () => {
    await run(
      (function* (): Coro<void> {
        expect(() => new WorkerPool(mathWorkerUrl, { size: 0 })).toThrow(/size must be >= 1/);
        expect(() => new WorkerPool(mathWorkerUrl, { inflightPerWorker: 1.5 })).toThrow(/inflightPerWorker/);
      })(),
    );
  });
});

describe("WorkerPool idle workers", { timeout: 30_000 }, () => {
  it("closes a worker idle for idleTimeout and starts one again when work comes", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<Api>(mathWorkerUrl, { size: 1, idleTimeout: 50 });
        expect(yield* pool.api.add(1, 1)).toBe(2);
        expect(pool.workers).toBe(1);
        // The idle timer runs on this loop: 200 ms later it has long fired.
        yield* sleep(200);
        expect(pool.workers).toBe(0);
        expect(yield* pool.api.add(2, 2)).toBe(4);
        expect(pool.workers).toBe(1);
        yield* pool.shutdown();
      })(),
    );
  });
});
