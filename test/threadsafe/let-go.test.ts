import { describe, expect, it } from "vitest";
import {
  type Coro,
  DataCloneError,
  LockOwnerDiedError,
  NotExposedError,
  type Task,
  ThreadSafeBarrier,
  ThreadSafeEvent,
  ThreadSafeLock,
  ThreadSafeQueue,
  ThreadSafeSemaphore,
  WorkerCrashedError,
  createTask,
  defineQueueCodec,
  registerTransferHandler,
  run,
  sleep,
  spawnWorker,
  waitFor,
} from "../../src/index.js";
import type { api as WorkerApi } from "./fixtures/threadsafe-worker.js";
import { caught } from "../support/harness.js";
import { threadsafeWorkerUrl } from "./fixtures/worker-url.js";
import { backends } from "./fixtures/backends.js";
import { withWorkers } from "./fixtures/with-workers.js";

/** An object only this thread knows how to send (the workers have no handler for it). */
class OnlyHere {}
registerTransferHandler("test/only-here", {
  canHandle: (value): value is OnlyHere => value instanceof OnlyHere,
  serialize: () => [null, []],
  deserialize: () => new OnlyHere(),
});
/** A codec the workers do not define. */
const mainOnlyCodec = defineQueueCodec<number>("test/main-only", { encode: (n) => new Uint8Array([n]), decode: (bytes) => bytes[0]! });

/** Polls `holds` until it is `count`, for at most 5 s (the owner ends a hold one loop turn after it answered). */
function* openHoldsBecome(holds: () => number, count: number): Coro<number> {
  for (let waited = 0; holds() !== count && waited < 5000; waited += 5) yield* sleep(5);
  return holds();
}

/** Has `worker` collect garbage until `holds` is `count` (its holders let go), for at most 5 s. */
function* collectUntilHolds(worker: { api: { collectNow(): Task<void> } }, holds: () => number, count: number): Coro<number> {
  for (let waited = 0; holds() !== count && waited < 5000; waited += 10) {
    yield* worker.api.collectNow();
    yield* sleep(10);
  }
  return holds();
}

/** Runs `body` with a worker of its own, which the body may terminate. */
function withDyingWorker(body: (worker: ReturnType<typeof spawnWorker<typeof WorkerApi>>) => Coro<void>): Promise<void> {
  return run(
    (function* (): Coro<void> {
      const worker = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
      try {
        yield* body(worker);
      } finally {
        worker.terminate();
      }
    })(),
  );
}

// Every primitive passed to a thread used to stay alive, on both sides, as long as
// that thread did (its port, its state, on the shared backend its buffers): a
// service passing a queue or an event per request to a pool leaked each one.
describe.each(backends)("a thread that lets go of a thread-safe primitive (%s backend)", { timeout: 30_000 }, (backend) => {
  const kinds: [string, () => ThreadSafeQueue<number> | ThreadSafeLock | ThreadSafeSemaphore | ThreadSafeEvent | ThreadSafeBarrier][] = [
    ["ThreadSafeQueue", () => new ThreadSafeQueue<number>({ backend })],
    ["ThreadSafeLock", () => new ThreadSafeLock({ backend })],
    ["ThreadSafeSemaphore", () => new ThreadSafeSemaphore(2, { backend })],
    ["ThreadSafeEvent", () => new ThreadSafeEvent({ backend })],
    ["ThreadSafeBarrier", () => new ThreadSafeBarrier(2, { backend })],
  ];

  it.each(kinds)("%s: its hold ends once that thread's handle is collected, and it can be sent there again", async (_name, make) => {
    await withWorkers(1, function* (worker) {
      const primitive = make();
      for (let round = 1; round <= 3; round++) {
        yield* worker.api.touch(primitive);
        expect(primitive._openHolds()).toBe(1);
        expect(yield* worker.api.collectUntilLetGo(round, 5000)).toBe(round);
        expect(yield* openHoldsBecome(() => primitive._openHolds(), 0)).toBe(0);
      }
    });
  });

  it.each(kinds)("%s: once every other thread let go of it, the creating thread's garbage collector can take it", async (_name, make) => {
    await withWorkers(1, function* (worker) {
      // Made in a function of its own, so that nothing on this stack keeps it.
      const made = function* (): Coro<WeakRef<object>> {
        const primitive = make();
        yield* worker.api.touch(primitive);
        yield* worker.api.collectUntilLetGo(1, 5000);
        expect(yield* openHoldsBecome(() => primitive._openHolds(), 0)).toBe(0);
        return new WeakRef(primitive);
      };
      const ref = yield* made();
      const collect = (globalThis as { gc?: () => void }).gc!;
      // A death on the shared backend is cleaned up 200 ms after it is reported; that
      // timer holds the state until then. A deref() keeps its target alive until the
      // host's job ends, so each collection runs in a job of its own (a timer's).
      for (let waited = 0; ref.deref() !== undefined && waited < 5000; waited += 20) {
        yield* sleep(10);
        collect();
        yield* sleep(10);
      }
      expect(ref.deref()).toBeUndefined();
    });
  });

  it("a pass in a call that cannot be sent (another argument cannot be cloned) holds nothing, first or again, and the call's error names that argument", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend });
      const touch = worker.api.touch as unknown as (...args: unknown[]) => Task<void>;
      const failedPass = function* (): Coro<void> {
        const error = yield* caught(touch(queue, { f() {} }));
        expect(error).toBeInstanceOf(DataCloneError);
        expect((error as Error).message).toMatch(/^Cannot send argument 2 \(an Object\) of touch\(\)/);
      };
      // Its first pass there: the hold made for it ends at once (before this, the
      // next pass counted on a port the worker never got, and failed).
      for (let i = 0; i < 3; i++) {
        yield* failedPass();
        expect(queue._openHolds()).toBe(0);
      }
      queue.putNowait(1);
      expect(yield* worker.api.consume(queue, 1)).toEqual([1]);
      expect(queue._openHolds()).toBe(1);
      // A pass again on the worker's hold: not counted, so the worker can still let go.
      for (let i = 0; i < 3; i++) yield* failedPass();
      queue.putNowait(2);
      expect(yield* worker.api.consume(queue, 1)).toEqual([2]);
      expect(yield* worker.api.collectUntilLetGo(1, 5000)).toBe(1);
      expect(yield* openHoldsBecome(() => queue._openHolds(), 0)).toBe(0);
    });
  });

  it("a pass that arrives but is not used (no such function; an argument before it, or its codec, unknown there) holds nothing", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend });
      const call = worker.call.bind(worker) as (name: string, ...args: unknown[]) => Task<unknown>;
      expect(yield* caught(call("noSuchFunction", queue))).toBeInstanceOf(NotExposedError);
      worker.callSoon("noSuchFunction", queue); // reported there, to its loop's exception handler
      expect(yield* caught(call("touch", new OnlyHere(), queue))).toBeInstanceOf(DataCloneError);
      const mainOnly = new ThreadSafeQueue<number>({ backend, codec: mainOnlyCodec });
      expect(yield* caught(call("touch", mainOnly))).toBeInstanceOf(DataCloneError);
      // The owner hears of each over its port: a browser does not say when a port is dropped.
      expect(yield* openHoldsBecome(() => queue._openHolds() + mainOnly._openHolds(), 0)).toBe(0);
      // Sent again on a hold the worker has, then not used: still counted there, so it can let go.
      yield* worker.api.touch(queue);
      expect(yield* caught(call("noSuchFunction", queue))).toBeInstanceOf(NotExposedError);
      expect(yield* caught(call("touch", new OnlyHere(), queue))).toBeInstanceOf(DataCloneError);
      expect(yield* collectUntilHolds(worker, () => queue._openHolds(), 0)).toBe(0);
      yield* worker.api.touch(queue); // and it can be sent there again
      expect(queue._openHolds()).toBe(1);
    });
  });

  it("a pass that arrives but is not used can be followed at once by one that is (the owner may send it again before it hears)", async () => {
    await withWorkers(1, function* (worker) {
      const call = worker.call.bind(worker) as (name: string, ...args: unknown[]) => Task<unknown>;
      for (let round = 0; round < 10; round++) {
        const queue = new ThreadSafeQueue<number>({ backend });
        queue.putNowait(round);
        expect(yield* caught(call(round % 2 === 0 ? "noSuchFunction" : "touch", ...(round % 2 === 0 ? [queue] : [new OnlyHere(), queue])))).toBeInstanceOf(Error);
        expect(yield* worker.api.consume(queue, 1)).toEqual([round]);
        expect(yield* collectUntilHolds(worker, () => queue._openHolds(), 0)).toBe(0);
      }
    });
  });

  it("a holder's pass on to a worker of its own, in a call that cannot be sent, leaves no hold and no watch behind", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend });
      yield* worker.api.touch(queue);
      const [messages, watched] = yield* worker.api.passToChildInCallsThatFail(queue, 5);
      expect(messages).toEqual(Array.from({ length: 5 }, () => expect.stringMatching(/^DataCloneError: Cannot send argument 2 \(an Object\) of touch\(\)/)));
      expect(watched).toBe(0);
      // Only the worker's own hold is left (in a browser nothing but a message says a port is unused).
      expect(yield* openHoldsBecome(() => queue._openHolds(), 1)).toBe(1);
    });
  });

  it("a primitive passed again to a thread that holds it reuses that thread's hold", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend });
      for (let i = 0; i < 20; i++) expect(yield* worker.api.sameAsLast(queue)).toBe(i > 0);
      expect(queue._openHolds()).toBe(1);
    });
  });

  it("ThreadSafeEvent: passes again that cross that thread's let-go, in either order, leave it working and end in no hold", async () => {
    await withWorkers(1, function* (worker) {
      const event = new ThreadSafeEvent({ backend });
      for (let round = 0; round < 20; round++) {
        yield* worker.api.touch(event);
        // Its holder goes, and it asks to let go just after answering: sent again at
        // once, the event crosses that request; after a pause, it follows the answer.
        yield* worker.api.collectNow();
        if (round % 2 === 1) yield* sleep(round % 4);
        yield* worker.api.setEvent(event); // sent again on that hold, or on a new one if the let-go came first
        expect(yield* waitFor(event.wait(), 5000)).toBe(true);
        event.clear();
      }
      yield* worker.api.collectUntilLetGo(Number.MAX_SAFE_INTEGER, 300);
      expect(yield* openHoldsBecome(() => event._openHolds(), 0)).toBe(0);
      expect(yield* worker.api.reported()).toEqual([]);
    });
  });

  it("a thread that handed it on to a worker of its own can let go once that worker has", async () => {
    await withWorkers(1, function* (worker) {
      const event = new ThreadSafeEvent({ backend });
      expect(yield* worker.api.passToChildThatLetsGo(event)).toBe(1);
      expect(yield* worker.api.collectUntilLetGo(1, 5000)).toBe(1);
      expect(yield* openHoldsBecome(() => event._openHolds(), 0)).toBe(0);
    });
  });

  it("a primitive handed back to the thread that made it, again and again, is the original and leaves no hold behind", async () => {
    await withWorkers(1, function* (worker) {
      const event = new ThreadSafeEvent({ backend });
      for (let i = 0; i < 20; i++) expect(yield* worker.api.handBack(event)).toBe(event);
      // The worker's own hold stays; each hold made for a way back ends at once.
      expect(yield* openHoldsBecome(() => event._openHolds(), 1)).toBe(1);
    });
  });

  it("a thread that hands a primitive to its worker with every call watches one hold for it, not one a call", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend });
      expect(yield* worker.api.passToOneChildAgain(queue, 20)).toEqual([1, 0]);
      expect(yield* worker.api.collectUntilLetGo(1, 5000)).toBe(1);
      expect(yield* openHoldsBecome(() => queue._openHolds(), 0)).toBe(0);
    });
  });

  it("ThreadSafeQueue: a queue let go of still works for the thread that gets it again", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<string>({ backend });
      yield* worker.api.touch(queue);
      yield* worker.api.collectUntilLetGo(1, 5000);
      expect(yield* openHoldsBecome(() => queue._openHolds(), 0)).toBe(0);
      yield* worker.api.produce(queue, "item ", 2);
      expect([yield* queue.get(), yield* queue.get()]).toEqual(["item 0", "item 1"]);
    });
  });

  it("ThreadSafeQueue: a holder collected on a hold that stays is made again by the next pass, with the hold's options and the queue's size now", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend, maxsize: 7 });
      yield* queue.put(1);
      expect(yield* worker.api.takeAndKeep(queue)).toBe(1); // the hold has an item not marked done: it stays
      expect(yield* worker.api.collectUntilLetGo(1, 5000)).toBe(1); // its holder was collected; the let-go refused
      for (const item of [2, 3, 4]) queue.putNowait(item);
      // A pass again carries no options, only the state: the worker keeps the options its hold came with.
      expect(yield* worker.api.shape(queue)).toEqual({ qsize: 3, maxsize: 7, backend });
      expect(yield* worker.api.consume(queue, 3)).toEqual([2, 3, 4]);
      expect(queue._openHolds()).toBe(1);
    });
  });

  it("ThreadSafeQueue: a hold with an item got and not marked done stays, so that thread's end still fails join()", async () => {
    await withDyingWorker(function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend });
      yield* queue.put(1);
      expect(yield* worker.api.takeAndKeep(queue)).toBe(1);
      expect(yield* worker.api.collectUntilLetGo(1, 5000)).toBe(1); // answered: refused
      yield* sleep(20);
      expect(queue._openHolds()).toBe(1);
      worker.terminate();
      expect(yield* caught(waitFor(queue.join(), 5000))).toBeInstanceOf(WorkerCrashedError);
    });
  });

  it("ThreadSafeLock: a hold that holds the lock stays, so that thread's end still poisons it", async () => {
    await withDyingWorker(function* (worker) {
      const lock = new ThreadSafeLock({ backend });
      expect(yield* worker.api.acquireAndKeep(lock)).toBe(true);
      expect(yield* worker.api.collectUntilLetGo(1, 5000)).toBe(1);
      yield* sleep(20);
      expect(lock._openHolds()).toBe(1);
      worker.terminate();
      expect(yield* caught(waitFor(lock.acquire(), 5000))).toBeInstanceOf(LockOwnerDiedError);
    });
  });

  it("ThreadSafeSemaphore: a hold that holds a permit stays, so the permit comes back when that thread ends", async () => {
    await withDyingWorker(function* (worker) {
      const semaphore = new ThreadSafeSemaphore(1, { backend });
      expect(yield* worker.api.acquireAndKeep(semaphore)).toBe(true);
      expect(yield* worker.api.collectUntilLetGo(1, 5000)).toBe(1);
      yield* sleep(20);
      expect(semaphore._openHolds()).toBe(1);
      worker.terminate();
      expect(yield* waitFor(semaphore.acquire(), 5000)).toBe(true);
    });
  });

  it("ThreadSafeBarrier: a thread that waited at it stays a part of it, so its end still breaks it", async () => {
    await withDyingWorker(function* (worker) {
      const barrier = new ThreadSafeBarrier(2, { backend });
      const here = createTask(barrier.wait()); // waits while the worker arrives
      expect(yield* worker.api.meet(barrier)).toBeGreaterThanOrEqual(0);
      yield* here;
      expect(yield* worker.api.collectUntilLetGo(1, 5000)).toBe(1);
      yield* sleep(20);
      expect(barrier._openHolds()).toBe(1);
      worker.terminate();
      // A death on the shared backend is cleaned up 200 ms after it is reported: wait for it, up to 5 s.
      for (let waited = 0; !barrier.broken && waited < 5000; waited += 10) yield* sleep(10);
      expect(barrier.broken).toBe(true);
    });
  });
});
