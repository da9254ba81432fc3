import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Coro,
  DataCloneError,
  QueueEmpty,
  RuntimeError,
  ThreadSafeLock,
  ThreadSafeQueue,
  createTask,
  gather,
  run,
  sleep,
  spawnWorker,
} from "../../src/index.js";
import { cloneFromBytes, cloneToBytes } from "../../src/threadsafe/shared/clone-bytes.js";
import { SharedItems } from "../../src/threadsafe/shared/items.js";
import { pendingWaitAsyncs } from "../../src/threadsafe/shared/parker.js";
import { SharedRegion, canBlock } from "../../src/threadsafe/shared/region.js";
import { caught, runV } from "../support/harness.js";
import { sharedAvailable } from "./fixtures/backends.js";
import { countUnderLock } from "./fixtures/count-under-lock.js";
import { pointCodec } from "./fixtures/point-codec.js";
import type { api as WorkerApi } from "./fixtures/threadsafe-worker.js";
import { withWorkers } from "./fixtures/with-workers.js";
import { threadsafeWorkerUrl } from "./fixtures/worker-url.js";

describe("the shared backend", { timeout: 60_000 }, () => {
  if (!sharedAvailable) {
    // A page without cross-origin isolation has no SharedArrayBuffer: say so.
    it("is refused with a message saying what it needs", () => {
      expect(() => new ThreadSafeQueue({ backend: "shared" })).toThrow(/needs SharedArrayBuffer and Atomics.waitAsync.*cross-origin isolated/);
      expect(() => new ThreadSafeLock({ backend: "shared" })).toThrow(TypeError);
    });
    return;
  }

  it("undoes the critical section of a thread that died inside it, and frees the mutex", () => {
    const region = SharedRegion.create(1, 4);
    region.useSlot(region.claimFreeSlot("test"), "test");
    region.lock(Infinity);
    region.setField(0, 1);
    region.unlock(); // a finished section stays
    const dying = region.claimFreeSlot("test");
    const other = SharedRegion.attach(region.buffer, 1, "test");
    other.useSlot(dying, "test");
    other.lock(Infinity);
    other.setField(0, 2);
    other.setField(1, 3);
    other.setField(0, 4); // ... and its thread is terminated here
    expect(region.lock(5)).toBe(false); // still held: no waiting forever
    expect(region.recoverDeadHolder(dying)).toBe(true);
    expect([region.field(0), region.field(1)]).toEqual([1, 0]);
    expect(region.lock(5)).toBe(true);
    region.unlock();
    expect(region.recoverDeadHolder(dying)).toBe(false); // it holds nothing now
  });

  it("waits in a synchronous operation for a live thread stopped inside an update, however long (here 300 ms)", async () => {
    await withWorkers(1, function* (worker) {
      // A garbage collection or a loaded machine's scheduler can stop a thread inside
      // a microsecond's section for tens of milliseconds: a CI run once saw a
      // taskDone() give up after 50 ms. Waiting is right: the holder lets go.
      const queue = new ThreadSafeQueue<string>({ backend: "shared" });
      queue.putNowait("item");
      const region = (queue as unknown as { shared: SharedItems }).shared.core.region;
      const holding = worker.api.holdSharedStateFor(queue, 300); // a call runs already
      while (region.holder() === 0) yield* sleep(1);
      expect(queue.getNowait()).toBe("item");
      queue.taskDone();
      yield* holding;
      expect(region.holder()).toBe(0);
    });
  });

  it("rolls back, in a synchronous operation on the thread that made it, a holder it was told has died, once the death has settled", async () => {
    await runV(function* () {
      const queue = SharedItems.create(0, false, "a test queue");
      const dying = SharedItems.attach(queue.buffer, queue.dataBuffer, queue.core.claimSlotForAnotherThread(), "a test queue");
      dying.core.region.lock(Infinity);
      dying.core.region.setField(0, 1); // a put's count of its item... and its thread is terminated here
      const told = performance.now(); // before the death is reported: it settles 200 ms after that
      queue.threadDied(dying.core.slot);
      // This thread is blocked, so its loop's cleanup cannot run: the operation does it.
      expect(queue.getNowait()).toBe(null);
      expect(performance.now() - told).toBeGreaterThanOrEqual(199); // not before the dead thread surely stopped
      expect(queue.qsize()).toBe(0);
      yield* sleep(1000); // the loop's cleanup, later, finds nothing left to undo
      expect(queue.putNowait(new Uint8Array([7]))).toBe(true);
      expect(queue.getNowait()).toEqual(new Uint8Array([7]));
    });
  });

  it("gives up a synchronous operation after 5 s with a RuntimeError saying what to do, when a dead holder is never cleaned up", () => {
    const queue = SharedItems.create(0, false, "a test queue");
    const dying = SharedItems.attach(queue.buffer, queue.dataBuffer, queue.core.claimSlotForAnotherThread(), "a test queue");
    dying.core.region.lock(Infinity); // ... and no thread ever learns that it died
    expect(() => queue.getNowait()).toThrow(/stayed locked for 5 s.*keep that thread's loop running, then try again/);
    expect(queue.core.region.recoverDeadHolder(dying.core.slot)).toBe(true);
    expect(queue.getNowait()).toBe(null);
  });

  it("keeps at most one waitAsync pending per thread however many waits are cancelled (1e5)", async () => {
    await withWorkers(1, function* (worker) {
      const lock = new ThreadSafeLock();
      yield* lock.acquire();
      for (let i = 0; i < 100_000; i++) {
        const waiter = createTask(lock.acquire());
        if (i % 2 === 0) yield* sleep(0); // queued and parked, then cancelled
        waiter.cancel();
      }
      yield* sleep(0);
      expect(pendingWaitAsyncs()).toBeLessThanOrEqual(1);
      lock.release();
      // Nothing was left behind: no cancelled waiter holds it, and another thread gets it at once.
      expect(lock.locked()).toBe(false);
      expect(yield* worker.api.acquireWithin(lock, 1000)).toBe("acquired");
      expect(yield* worker.api.pendingWaitAsyncs()).toBeLessThanOrEqual(1);
    });
  });

  it("keeps a ThreadSafeLock exclusive on its fast path and through hand-overs, over three threads: plain increments under it lose nothing", async () => {
    await withWorkers(2, function* (a, b) {
      const lock = new ThreadSafeLock();
      const counter = new Int32Array(new SharedArrayBuffer(8));
      const rounds = 20_000;
      yield* gather(countUnderLock(lock, counter, rounds, 7), a.api.countUnderLock(lock, counter, rounds, 5), b.api.countUnderLock(lock, counter, rounds, 3));
      expect(counter[0]).toBe(3 * rounds);
      expect(lock.locked()).toBe(false);
    });
  });

  it("serves lock waiters of every thread in the order they came (no barging)", async () => {
    await withWorkers(2, function* (a, b) {
      const lock = new ThreadSafeLock();
      const log = new ThreadSafeQueue<string>();
      yield* lock.acquire();
      yield* a.api.queueAcquire(lock, log, "a"); // returns once a's wait is queued
      yield* b.api.queueAcquire(lock, log, "b");
      const third = createTask(
        (function* (): Coro<void> {
          yield* lock.acquire();
          yield* log.put("main");
          lock.release();
        })(),
      );
      yield* sleep(0); // queued third
      lock.release();
      yield* gather(a.api.acquired(), b.api.acquired(), third);
      expect([log.getNowait(), log.getNowait(), log.getNowait()]).toEqual(["a", "b", "main"]);
    });
  });

  it("serves synchronous code in a worker: getBlocking, putBlocking and acquireBlocking, each with a timeout", async () => {
    await withWorkers(1, function* (worker) {
      const jobs = new ThreadSafeQueue<number>();
      for (let n = 0; n < 5; n++) yield* jobs.put(n);
      expect(yield* worker.api.getBlocking(jobs, 5, 1000)).toEqual([0, 1, 2, 3, 4]);
      yield* jobs.join();
      expect(yield* caught(worker.api.getBlocking(jobs, 1, 20))).toMatchObject({ name: "QueueEmpty" });

      const bounded = new ThreadSafeQueue<number>({ maxsize: 3 });
      expect(yield* worker.api.putBlocking(bounded, 10, 20)).toBe(3); // the fourth timed out: nothing more went in
      expect(bounded.qsize()).toBe(3);

      const lock = new ThreadSafeLock();
      yield* lock.acquire();
      expect(yield* worker.api.acquireBlocking(lock, 20, 0)).toBe(false);
      lock.release();
      expect(yield* worker.api.acquireBlocking(lock, 1000, 0)).toBe(true);
      expect(lock.locked()).toBe(false);
    });
  });

  it("refuses the blocking forms on the message backend, and where the thread may not block", async () => {
    await run(
      (function* (): Coro<void> {
        expect(() => new ThreadSafeQueue({ backend: "message" }).getBlocking(1)).toThrow(/needs the shared backend.*use get\(\)/);
        expect(() => new ThreadSafeLock({ backend: "message" }).acquireBlocking(1)).toThrow(RuntimeError);
        const queue = new ThreadSafeQueue<number>();
        if (canBlock()) expect(() => queue.getBlocking(1)).toThrow(QueueEmpty); // Node's main thread may block
        else expect(() => queue.getBlocking(1)).toThrow(/cannot block this thread/); // a browser page's may not
        expect(() => queue.getBlocking(Number.NaN)).toThrow(/timeout/);
      })(),
    );
  });

  it("carries items through a codec of one's own, defined on every thread", async () => {
    await withWorkers(1, function* (worker) {
      const points = new ThreadSafeQueue<{ x: number; y: number }>({ codec: pointCodec });
      for (let n = 0; n < 4; n++) yield* points.put({ x: n, y: n / 2 });
      expect(yield* worker.api.consume(points, 4)).toEqual([0, 1, 2, 3].map((n) => ({ x: n, y: n / 2 })));
    });
  });

  it("grows its item buffer on one thread while another reads it: items past the first 64 KiB cross intact, both ways", async () => {
    await withWorkers(1, function* (worker) {
      // Each thread maps the buffer as long as it was when the queue reached it; the
      // puts below grow it to several times that on the other thread.
      const long = "x".repeat(2000);
      const expected = (prefix: string) => Array.from({ length: 200 }, (_, i) => `${prefix}${i}`);
      const toWorker = new ThreadSafeQueue<string>({ backend: "shared" });
      yield* worker.api.consumeLater(toWorker, 200); // the worker has mapped it, and waits in get()
      for (const item of expected(`${long}main`)) yield* toWorker.put(item);
      expect(yield* worker.api.consumed()).toEqual(expected(`${long}main`));

      const fromWorker = new ThreadSafeQueue<string>({ backend: "shared" });
      yield* fromWorker.put("first"); // this thread maps it before the worker grows it
      yield* worker.api.produce(fromWorker, `${long}worker`, 200);
      const got: string[] = [];
      for (let i = 0; i <= 200; i++) got.push(yield* fromWorker.get());
      expect(got).toEqual(["first", ...expected(`${long}worker`)]);
    });
  });

  it("stays consistent when a producer thread is terminated at random points of its puts", async () => {
    await run(
      (function* (): Coro<void> {
        for (const delay of [1, 3, 5, 8, 13, 21]) {
          const producer = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
          yield* producer.ready();
          const queue = new ThreadSafeQueue<number>();
          const putting = producer.api.putForever(queue);
          yield* sleep(delay);
          producer.terminate();
          yield* caught(putting);
          // A terminated thread may run on for a moment (a browser says nothing when
          // it has stopped): wait until the queue stops growing.
          for (let size = -1; size !== queue.qsize(); ) {
            size = queue.qsize();
            yield* sleep(100);
          }
          // Every item that went in comes out once, in order: a put cut short left nothing half-made.
          // Drained with getNowait, not while qsize() > 0: a thread that died inside a put's
          // critical section leaves its count in the size word until the creating thread
          // rolls the section back (DEATH_SETTLE_MS after the death); this thread is the
          // creating one, so getNowait waits for that and rolls it back itself.
          const got: number[] = [];
          for (;;) {
            try {
              got.push(queue.getNowait());
            } catch (error) {
              if (error instanceof QueueEmpty) break;
              throw error;
            }
          }
          expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i));
          yield* queue.put(-1);
          expect(yield* queue.get()).toBe(-1);
        }
      })(),
    );
  });

  it.each(["json", "clone"] as const)("keeps the item of every put that waits on a full queue, though later puts reuse the %s codec's buffer", async (codec) => {
    await run(
      (function* (): Coro<void> {
        const queue = new ThreadSafeQueue<{ name: string; n: number }>({ codec, maxsize: 1, backend: "shared" });
        queue.putNowait({ name: "first", n: 1 });
        // Each of these encodes its item (into the codec's one buffer), finds the queue full and waits.
        const waiting = [createTask(queue.put({ name: "second, longer", n: 2.5 })), createTask(queue.put({ name: "3rd", n: -3 }))];
        yield* sleep(0);
        const got = [];
        while (got.length < 3) got.push(yield* queue.get());
        yield* gather(...waiting);
        expect(got).toEqual([
          { name: "first", n: 1 },
          { name: "second, longer", n: 2.5 },
          { name: "3rd", n: -3 },
        ]);
      })(),
    );
  });

  it("encodes an item whose getter puts another item meanwhile (the clone codec's buffer is in use)", async () => {
    await run(
      (function* (): Coro<void> {
        const side = new ThreadSafeQueue<string>({ backend: "shared" });
        const queue = new ThreadSafeQueue<{ inner: string }>({ backend: "shared" });
        const item = {
          get inner(): string {
            side.putNowait("put while the outer item was being encoded");
            return "outer";
          },
        };
        queue.putNowait(item);
        expect([queue.getNowait(), side.getNowait()]).toEqual([{ inner: "outer" }, "put while the outer item was being encoded"]);
      })(),
    );
  });

  it("frees the slot claimed for a thread that already held the primitive, however often it is passed", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>();
      for (let i = 0; i < 300; i++) yield* worker.api.sameAsLast(queue); // more passes than slots
      queue.putNowait(7);
      expect(yield* worker.api.consume(queue, 1)).toEqual([7]);
    });
  });
});

describe("structured clone to bytes (the clone codec in shared memory)", () => {
  const values = fc.anything({
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withNullPrototype: true,
    withObjectString: true,
    withBoxedValues: true,
    withSparseArray: true,
  });

  it("gives what structuredClone gives, for any value it takes", () => {
    fc.assert(
      fc.property(values, (value) => {
        // Strict: holes are not undefined elements, a Number object is not {}.
        expect(cloneFromBytes(cloneToBytes(value))).toStrictEqual(structuredClone(value));
      }),
      { numRuns: 300, seed: 20261202 },
    );
  });

  it("keeps boxed primitives and array holes, and gives errors structured clone's classes and names", () => {
    const boxed = [new Number(-0.5), new String("ab"), new Boolean(false), Object(2n)] as object[];
    const copies = cloneFromBytes(cloneToBytes(boxed)) as object[];
    copies.forEach((copy, i) => {
      expect(copy).not.toBe(boxed[i]);
      expect(Object.prototype.toString.call(copy)).toBe(Object.prototype.toString.call(boxed[i]));
      expect(copy.valueOf()).toBe(boxed[i]!.valueOf());
    });
    const holes = cloneFromBytes(cloneToBytes([1, , undefined, , 5])) as unknown[];
    expect([holes.length, 0 in holes, 1 in holes, 2 in holes, 3 in holes, holes[4]]).toEqual([5, true, false, true, false, 5]);
    const typeError = cloneFromBytes(cloneToBytes(new TypeError("t"))) as Error;
    expect(typeError).toBeInstanceOf(TypeError);
    const custom = Object.assign(new Error("c"), { name: "QuotaError" });
    for (const error of [custom, new AggregateError([], "a")]) {
      const copy = cloneFromBytes(cloneToBytes(error)) as Error;
      const expected = structuredClone(error);
      expect([copy.constructor, copy.name, copy.message]).toEqual([expected.constructor, expected.name, expected.message]);
    }
  });

  it("refuses, with DataCloneError naming it, an object it has no bytes for rather than send an empty object", () => {
    const exotic = [
      new Blob(["x"]),
      new URL("https://example.com/"),
      Object(Symbol("s")),
      new (class Tagged {
        get [Symbol.toStringTag]() {
          return "Tagged";
        }
      })(),
    ];
    for (const value of exotic) {
      expect(() => cloneToBytes({ inside: [value] })).toThrow(DataCloneError);
      expect(() => cloneToBytes(value)).toThrow(/could not be cloned into shared memory.*backend "message"/);
    }
    // A class instance without a tag of its own is data, copied as a plain object.
    class Point {
      constructor(readonly x: number) {}
    }
    expect(cloneFromBytes(cloneToBytes(new Point(1)))).toStrictEqual({ x: 1 });
  });

  it("decodes damaged or forged bytes to a value or a DataCloneError, never another error", () => {
    const encoded = fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true });
    const damaged = fc
      .tuple(encoded, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }))
      .map(([value, edits]) => {
        const bytes = cloneToBytes(value).slice();
        for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
        return bytes;
      });
    fc.assert(
      fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 64 })), (bytes) => {
        try {
          cloneFromBytes(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DataCloneError);
        }
      }),
      { numRuns: 2000, seed: 20261206 },
    );
    // Well-formed bytes the engine refuses: a bigint's digits, a RegExp's flags.
    const bigint = cloneToBytes(12n).slice();
    bigint[bigint.length - 1] = "x".charCodeAt(0);
    const regexp = cloneToBytes(/a/g).slice();
    regexp[regexp.length - 1] = "Q".charCodeAt(0);
    for (const forged of [bigint, regexp]) expect(() => cloneFromBytes(forged)).toThrow(/bytes are corrupt/);
  });

  it("keeps shared and cyclic references, errors and binary data", () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared, bytes: new Uint16Array([1, 65535]), when: new Date(5), re: /a+/gi };
    cyclic.self = cyclic;
    const copy = cloneFromBytes(cloneToBytes(cyclic)) as typeof cyclic;
    expect(copy.self).toBe(copy);
    expect(copy.again).toBe(copy.shared);
    expect(copy).toEqual(structuredClone(cyclic));
    const error = cloneFromBytes(cloneToBytes(new RangeError("far", { cause: 3 }))) as Error;
    expect([error.name, error.message, error.cause]).toEqual(["RangeError", "far", 3]);
  });

  it("reads every key right though the thread's cache of recent keys is shared by many (2000 keys, 256 places)", () => {
    // Keys of every length up to past the cached ones, alike in their first bytes,
    // non-Latin-1 ones among them: each decodes to itself, however the cache collides.
    const keys = Array.from({ length: 2000 }, (_, i) => (i % 7 === 0 ? `ключ${i}` : "k".repeat(i % 40) + i.toString(36)));
    for (let start = 0; start < keys.length; start += 50) {
      const value = Object.fromEntries(keys.slice(start, start + 50).map((key, i) => [key, i]));
      expect(cloneFromBytes(cloneToBytes(value))).toEqual(value);
      // The same keys again, now from the cache, in a different order.
      const reversed = Object.fromEntries(Object.entries(value).reverse());
      expect(Object.keys(cloneFromBytes(cloneToBytes(reversed)) as object)).toEqual(Object.keys(reversed));
    }
  });

  it("keeps references among many objects, past the first ones it searches in a list", () => {
    // 40 nodes in a ring, each also pointing at the first and at the one 17 back.
    const nodes: Record<string, unknown>[] = Array.from({ length: 40 }, (_, i) => ({ i }));
    nodes.forEach((node, i) => {
      node.next = nodes[(i + 1) % nodes.length];
      node.first = nodes[0];
      node.back = nodes[(i + nodes.length - 17) % nodes.length];
    });
    const copy = cloneFromBytes(cloneToBytes({ nodes, again: nodes[30] })) as { nodes: Record<string, unknown>[]; again: unknown };
    expect(copy.nodes.map((node) => node.i)).toEqual(nodes.map((node) => node.i));
    copy.nodes.forEach((node, i) => {
      expect(node.next).toBe(copy.nodes[(i + 1) % nodes.length]);
      expect(node.first).toBe(copy.nodes[0]);
      expect(node.back).toBe(copy.nodes[(i + nodes.length - 17) % nodes.length]);
    });
    expect(copy.again).toBe(copy.nodes[30]);
  });

  it("makes own data properties for keys the prototype has, and never calls a setter of the prototype's", () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "toString": 1, "constructor": "c", "plain": 2, "trap": 3}');
    const calls: unknown[] = [];
    Object.defineProperty(Object.prototype, "trap", { set: (v) => calls.push(v), configurable: true });
    try {
      const copy = cloneFromBytes(cloneToBytes(value)) as Record<string, unknown>;
      const expected = structuredClone(value) as Record<string, unknown>;
      expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
      expect(Object.getOwnPropertyNames(copy)).toEqual(["__proto__", "toString", "constructor", "plain", "trap"]);
      expect(Object.getOwnPropertyDescriptors(copy)).toEqual(Object.getOwnPropertyDescriptors(expected));
      expect(calls).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    } finally {
      delete (Object.prototype as Record<string, unknown>).trap;
    }
  });

  it("refuses what structured clone refuses", () => {
    expect(() => cloneToBytes({ f: () => 1 })).toThrow(/could not be cloned/);
    expect(() => cloneToBytes(Symbol("s"))).toThrow(/could not be cloned/);
  });
});
