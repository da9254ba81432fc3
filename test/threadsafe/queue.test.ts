import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  DataCloneError,
  QueueShutDown,
  RuntimeError,
  ThreadSafeLifoQueue,
  ThreadSafePriorityQueue,
  ThreadSafeQueue,
  allTasks,
  createChannel,
  createTask,
  defineQueueCodec,
  gather,
  run,
  sleep,
  transfer,
} from "../../src/index.js";
import { caught } from "../support/harness.js";
import { backends, sharedAvailable } from "./fixtures/backends.js";
import { withWorkers } from "./fixtures/with-workers.js";
import { pointCodec } from "./fixtures/point-codec.js";


describe.each(backends)("ThreadSafeQueue across threads (%s backend)", { timeout: 30_000 }, (backend) => {
  it("hands items to a worker in order, counts them for join(), and copies each one", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<{ n: number }>({ backend });
      const item = { n: 0 };
      for (let n = 0; n < 20; n++) yield* queue.put(n === 0 ? item : { n });
      item.n = 99; // the queue holds a copy
      const got = yield* worker.api.consume(queue, 20);
      expect(got).toEqual(Array.from({ length: 20 }, (_, n) => ({ n })));
      yield* queue.join(); // every item was marked done in the worker
      expect(queue.qsize()).toBe(0);
    });
  });

  it("carries items both ways with the json codec and a bytes codec, each a copy, and the owner gets what another thread put", async () => {
    await withWorkers(1, function* (worker) {
      for (const codec of ["json", pointCodec] as const) {
        const queue = new ThreadSafeQueue<{ x: number; y: number }>({ codec, backend });
        const item = { x: 1, y: 2 };
        yield* queue.put(item);
        item.x = 99; // the queue holds its own form of it
        queue.putNowait({ x: 3, y: 4 });
        expect(yield* worker.api.consume(queue, 2)).toEqual([
          { x: 1, y: 2 },
          { x: 3, y: 4 },
        ]);
        yield* worker.api.producePoints(queue, 3);
        const got = [yield* queue.get(), queue.getNowait(), yield* queue.get()];
        expect(got).toEqual([0, 1, 2].map((n) => ({ x: n, y: n + 10 })));
        expect(got[0]).not.toBe(got[1]);
      }
    });
  });

  it("is iterated with for await on the thread that made it and on another, to the end of the shut-down queue", async () => {
    await withWorkers(1, function* (worker) {
      // Here: the items come from the worker.
      const here = new ThreadSafeQueue<string>({ maxsize: 3, backend });
      const reading = createTask(async () => {
        const seen: unknown[] = [];
        for await (const item of here) seen.push(item);
        return seen;
      });
      yield* worker.api.produce(here, "a", 10);
      here.shutdown();
      expect(yield* reading).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`));
      // There: the worker iterates while this thread puts.
      const there = new ThreadSafeQueue<number>({ maxsize: 3, backend });
      const iterating = worker.api.iterate(there);
      for (let n = 0; n < 10; n++) yield* there.put(n);
      there.shutdown();
      expect(yield* iterating).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });
  });

  it("bounds what is buffered for every thread: a full queue makes a put wait (backpressure across threads)", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ maxsize: 2, backend });
      const consumer = worker.api.consume(queue, 10);
      let most = 0;
      for (let n = 0; n < 10; n++) {
        yield* queue.put(n);
        most = Math.max(most, queue.qsize());
      }
      expect(yield* consumer).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(most).toBeLessThanOrEqual(2);
    });
  });

  it("loses and duplicates nothing with two producer threads, and keeps each producer's order", async () => {
    await withWorkers(2, function* (a, b) {
      const queue = new ThreadSafeQueue<string>({ maxsize: 5, backend });
      const producers = [a.api.produce(queue, "a", 50), b.api.produce(queue, "b", 50)];
      const got: string[] = [];
      for (let i = 0; i < 100; i++) got.push(yield* queue.get());
      yield* gather(...producers);
      expect([...got].sort()).toEqual([...Array.from({ length: 50 }, (_, i) => `a${i}`), ...Array.from({ length: 50 }, (_, i) => `b${i}`)].sort());
      for (const prefix of ["a", "b"]) {
        const order = got.filter((item) => item.startsWith(prefix)).map((item) => Number(item.slice(1)));
        expect(order).toEqual([...order].sort((x, y) => x - y));
      }
    });
  });

  it("takes nothing for a get cancelled in another thread: the next item goes to the next getter", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend });
      const remoteGet = worker.api.getOne(queue);
      yield* worker.api.later(20); // the worker's get is waiting at the owner
      remoteGet.cancel("changed my mind");
      expect(yield* caught(remoteGet)).toBeInstanceOf(CancelledError);
      queue.putNowait(1);
      expect(queue.getNowait()).toBe(1);
    });
  });

  it("adds nothing for a put cancelled while the queue was full", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<string>({ maxsize: 1, backend });
      queue.putNowait("first");
      const blocked = worker.api.produce(queue, "w", 1);
      yield* worker.api.later(20);
      blocked.cancel();
      expect(yield* caught(blocked)).toBeInstanceOf(CancelledError);
      expect(queue.getNowait()).toBe("first");
      yield* sleep(20);
      expect(queue.qsize()).toBe(0);
    });
  });

  it("wakes getters waiting in other threads with QueueShutDown once the queue is shut down and drained", async () => {
    await withWorkers(2, function* (a, b) {
      const queue = new ThreadSafeQueue<number>({ backend });
      const drains = [a.api.drain(queue), b.api.drain(queue)];
      for (let n = 0; n < 6; n++) yield* queue.put(n);
      yield* queue.join();
      queue.shutdown();
      const results = yield* gather(...drains);
      expect(results.flatMap((r) => r.items).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(yield* caught(queue.put(7))).toBeInstanceOf(QueueShutDown);
    });
  });

  it("crosses onward from a worker to its sibling, still served by the owner", async () => {
    await withWorkers(2, function* (a, b) {
      const { port1, port2 } = createChannel();
      yield* a.api.connectSibling(transfer(port1 as object, [port1 as object]));
      yield* b.api.connectSibling(transfer(port2 as object, [port2 as object]));
      const queue = new ThreadSafeQueue<number>({ backend });
      for (let n = 0; n < 3; n++) queue.putNowait(n);
      expect(yield* a.api.passToSibling(queue, 3)).toEqual([0, 1, 2]);
      yield* queue.join();
    });
  });

  if (backend === "message") {
    it("is owned by the thread that makes it: a worker's queue is reached by messages here, with snapshots and no Nowait", async () => {
      await withWorkers(1, function* (worker) {
        const queue = yield* worker.api.makeQueue(0, backend);
        expect([queue.isOwner, queue.backend]).toEqual([false, "message"]);
        yield* queue.put("x");
        expect(queue.qsize()).toBe(1); // the snapshot of the last operation
        expect(() => queue.getNowait()).toThrow(RuntimeError);
        expect(() => queue.getNowait()).toThrow(/use get\(\)/);
        expect(yield* worker.api.snapshot(queue)).toEqual({ qsize: 1, empty: false, isOwner: true });
        expect(yield* worker.api.getNowaitHere(queue)).toBe("x");
      });
    });
  } else {
    it("is the same state on every thread: a worker's queue is exact here, Nowait forms included", async () => {
      await withWorkers(1, function* (worker) {
        const queue = yield* worker.api.makeQueue(0, backend);
        expect([queue.isOwner, queue.backend]).toEqual([false, "shared"]);
        yield* queue.put("x");
        queue.putNowait("y");
        expect(yield* worker.api.snapshot(queue)).toEqual({ qsize: 2, empty: false, isOwner: true });
        expect(queue.getNowait()).toBe("x");
        expect(yield* worker.api.getNowaitHere(queue)).toBe("y");
        expect(queue.qsize()).toBe(0);
      });
    });
  }

  it("gives a thread the same holder each time it receives the same queue", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend });
      expect(yield* worker.api.sameAsLast(queue)).toBe(false);
      expect(yield* worker.api.sameAsLast(queue)).toBe(true);
      expect(yield* worker.api.sameAsLast(new ThreadSafeQueue<number>({ backend }))).toBe(false);
      queue.putNowait(1);
      expect(yield* worker.api.consume(queue, 1)).toEqual([1]); // the reused holder still works
    });
  });

  it("refuses a queue buried in another value with DataCloneError saying to pass it as an argument", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend });
      const error = yield* caught(worker.call("consume", { queue } as never, 1));
      expect(error).toBeInstanceOf(DataCloneError);
      expect((error as Error).message).toMatch(/thread-safe primitive.*top-level argument/);
    });
  });

  it("refuses what the codec cannot encode, enqueuing nothing", async () => {
    await run(
      (function* (): Coro<void> {
        const json = new ThreadSafeQueue<unknown>({ codec: "json", backend });
        const notJson = yield* caught(json.put({ big: 1n }));
        expect(notJson).toBeInstanceOf(DataCloneError);
        expect((notJson as Error).message).toMatch(/with the json codec: a TypeError: .*BigInt/); // what failed, not only that it did
        const clone = new ThreadSafeQueue<unknown>({ backend });
        expect(() => clone.putNowait(() => 1)).toThrow(DataCloneError);
        expect(() => clone.putNowait(Symbol("not cloneable"))).toThrow(DataCloneError);
        // A platform object has no byte form in shared memory (the message backend's host clones it).
        if (backend === "shared") expect(() => clone.putNowait({ file: new Blob(["x"]) })).toThrow(/Blob.*backend "message"/);
        expect([json.qsize(), clone.qsize()]).toEqual([0, 0]);
        // Primitives pass as they are; an object is still a copy. On the message backend
        // the owner keeps the item itself, so a marked buffer is moved into it; shared
        // memory holds the item's bytes, so there it is copied.
        const item = { nested: [1, 2] };
        const bytes = new Uint8Array(8);
        for (const value of [0, "text", null, undefined, true, 2n, item, transfer({ bytes }, [bytes.buffer])]) yield* clone.put(value);
        const got = [];
        while (!clone.empty()) got.push(clone.getNowait());
        expect(got.slice(0, 6)).toEqual([0, "text", null, undefined, true, 2n]);
        expect(got[6]).toEqual(item);
        expect(got[6]).not.toBe(item);
        expect(bytes.byteLength).toBe(backend === "message" ? 0 : 8);
        expect((got[7] as { bytes: Uint8Array }).bytes.byteLength).toBe(8);
      })(),
    );
  });

  it("is awaitable from async code: a put or get over at once makes no task on the thread that made it, one that waits runs as a task, an item is encoded once", async () => {
    let encoded = 0;
    const counting = defineQueueCodec<number>(`test/counting-${backend}`, {
      encode: (n) => {
        if (n < 0) throw new RangeError("a negative item");
        encoded++;
        return new Uint8Array([n]);
      },
      decode: (bytes) => bytes[0]!,
    });
    await run(async () => {
      const queue = new ThreadSafeQueue<number>({ backend, maxsize: 1, codec: counting });
      const tasks = allTasks().size;
      // The queue's state is at hand here (shared memory, or the owner's own queue).
      const put = queue.put(1).then(() => "put");
      expect(queue.qsize()).toBe(1); // room: put in place, in then()
      expect(allTasks().size).toBe(tasks);
      expect(await put).toBe("put");
      let putLater = false;
      const waiting = queue.put(2).then(() => ((putLater = true), "put later")); // full: it waits, as a task of its own
      expect(allTasks().size).toBe(tasks + 1);
      await sleep(1); // its task has run, and waits for room
      expect(putLater).toBe(false);
      const get = queue.get();
      const got = get.then((item) => item);
      expect(allTasks().size).toBe(tasks + 1); // taken in place
      expect(await got).toBe(1);
      expect(await waiting).toBe("put later");
      expect(await get).toBe(1); // awaited again: the same result, nothing taken twice
      expect(await queue.get()).toBe(2);
      expect(encoded).toBe(2); // the waiting put too, though it was attempted in then() and again in its task
      await expect(queue.put(-1)).rejects.toBeInstanceOf(DataCloneError); // the codec refuses it: nothing put
      expect(queue.qsize()).toBe(0);
      queue.shutdown();
      await expect(queue.put(4)).rejects.toBeInstanceOf(QueueShutDown);
      await expect(queue.get()).rejects.toBeInstanceOf(QueueShutDown);
    });
  });

  it("orders a LIFO and a priority queue on the owner for every thread", async () => {
    await withWorkers(1, function* (worker) {
      const lifo = new ThreadSafeLifoQueue<number>({ backend });
      const priority = new ThreadSafePriorityQueue<number>({ compare: (a, b) => b - a });
      for (const n of [1, 2, 3]) {
        lifo.putNowait(n);
        priority.putNowait(n * 10);
      }
      expect(yield* worker.api.consume(lifo, 3)).toEqual([3, 2, 1]);
      expect(yield* worker.api.consume(priority, 3)).toEqual([30, 20, 10]);
      // With a codec that encodes, the priority form still compares the items themselves.
      const byP = new ThreadSafePriorityQueue<{ p: number }>({ codec: "json", compare: (a, b) => a.p - b.p });
      for (const p of [3, 1, 2]) byP.putNowait({ p });
      expect(yield* worker.api.consume(byP, 2)).toEqual([{ p: 1 }, { p: 2 }]);
      expect(byP.getNowait()).toEqual({ p: 3 });
    });
  });

  it("validates its options as Queue does", async () => {
    await run(
      (function* (): Coro<void> {
        expect(() => new ThreadSafeQueue({ maxsize: -1, backend })).toThrow(/maxsize must be >= 0/);
        expect(() => new ThreadSafeQueue({ codec: "xml" as never, backend })).toThrow(/codec "xml" is not defined on this thread/);
        expect(() => new ThreadSafeQueue({ codec: 7 as never, backend })).toThrow(/codec is "clone", "json" or one made by defineQueueCodec/);
        expect(() => new ThreadSafeQueue({ backend: "disk" as never })).toThrow(/backend is "auto", "shared" or "message"/);
        expect(() => new ThreadSafePriorityQueue({ backend: "shared" })).toThrow(/no shared backend/);
        expect(new ThreadSafePriorityQueue({}).backend).toBe("message");
        expect(new ThreadSafeQueue({}).backend).toBe(sharedAvailable ? "shared" : "message");
        if (!sharedAvailable) expect(() => new ThreadSafeQueue({ backend: "shared" })).toThrow(/needs SharedArrayBuffer and Atomics.waitAsync/);
      })(),
    );
  });
});
