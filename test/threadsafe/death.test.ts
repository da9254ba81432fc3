import { describe, expect, it } from "vitest";
import {
  BrokenBarrierError,
  type Coro,
  LockOwnerDiedError,
  ThreadSafeBarrier,
  ThreadSafeLock,
  ThreadSafeQueue,
  ThreadSafeSemaphore,
  WorkerCrashedError,
  createChannel,
  run,
  sleep,
  spawnWorker,
  transfer,
  waitFor,
} from "../../src/index.js";
import type { api as WorkerApi } from "./fixtures/threadsafe-worker.js";
import { caught } from "../support/harness.js";
import { threadsafeWorkerUrl } from "./fixtures/worker-url.js";
import { backends } from "./fixtures/backends.js";
import { withWorkers } from "./fixtures/with-workers.js";

// Node tells a port that its other end's thread ended; Chromium's MessagePort does
// not, so there a death is learnt from the channel the primitive was sent on (the
// spawner's WorkerHandle sees its worker die). Both hosts run these.
describe.each(backends)("a thread that dies while it shares a ThreadSafeQueue (%s backend)", { timeout: 30_000 }, (backend) => {
  it(
    backend === "message"
      ? "fails the queue on every other thread with WorkerCrashedError when its owner's thread ends"
      : "keeps the queue working for every other thread when the thread that made it ends (its state is shared)",
    async () => {
      await run(
        (function* (): Coro<void> {
          const owner = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
          const queue = yield* owner.api.makeQueue(0, backend);
          yield* queue.put(1);
          const waiting = queue.get();
          const second = queue.get(); // waits: one item only
          expect(yield* waiting).toBe(1);
          owner.terminate();
          yield* sleep(50);
          if (backend === "shared") {
            yield* queue.put(2);
            expect(yield* second).toBe(2);
            return;
          }
          expect(yield* caught(second)).toBeInstanceOf(WorkerCrashedError);
          const later = yield* caught(queue.put(2));
          expect(later).toBeInstanceOf(WorkerCrashedError);
          expect((later as Error).message).toMatch(/thread that owns a ThreadSafeQueue ended/);
        })(),
      );
    },
  );

  if (backend === "message") {
    it("fails the queue with WorkerCrashedError, when its owner's thread ends, on a thread that got it from another holder", async () => {
      await withWorkers(2, function* (owner, holder) {
        // In a browser the holder learns of the owner's end by its Web Lock: once it is held.
        yield* owner.api.watchable();
        const queue = yield* owner.api.makeQueue(0, backend); // this thread holds it, from its owner
        const waiting = holder.api.consume(queue, 1); // the holder got it from this thread
        yield* sleep(100);
        owner.terminate();
        const error = yield* caught(waitFor(waiting, 5000));
        expect(error).toBeInstanceOf(WorkerCrashedError);
        expect((error as Error).message).toMatch(/thread that owns a ThreadSafeQueue ended/);
      });
    });
  }

  it("fails join() with WorkerCrashedError, instead of waiting forever, when a thread dies holding an item it never marked done", async () => {
    await run(
      (function* (): Coro<void> {
        const holder = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
        yield* holder.ready();
        const queue = new ThreadSafeQueue<string>({ backend });
        queue.putNowait("kept");
        expect(yield* holder.api.takeAndKeep(queue)).toBe("kept");
        const joining = queue.join();
        yield* sleep(10);
        holder.terminate();
        const error = yield* caught(joining);
        expect(error).toBeInstanceOf(WorkerCrashedError);
        expect((error as Error).message).toMatch(/ended holding 1 item/);
        expect(yield* caught(queue.join())).toBeInstanceOf(WorkerCrashedError);
      })(),
    );
  });
});

describe.each(backends)("a thread that dies holding a thread-safe lock, permits or a barrier place (%s backend)", { timeout: 30_000 }, (backend) => {
  it("poisons a ThreadSafeLock: acquire() fails with LockOwnerDiedError everywhere until recover()", async () => {
    await run(
      (function* (): Coro<void> {
        const holder = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
        const other = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
        yield* holder.ready();
        const lock = new ThreadSafeLock({ backend });
        expect(yield* holder.api.acquireAndKeep(lock)).toBe(true);
        const waiting = lock.acquire();
        yield* sleep(10);
        holder.terminate();
        expect(yield* caught(waiting)).toBeInstanceOf(LockOwnerDiedError);
        expect(yield* other.api.acquireWithin(lock, 1000)).toBe("LockOwnerDiedError");
        lock.recover();
        expect(yield* other.api.acquireWithin(lock, 1000)).toBe("acquired");
        yield* lock.acquire();
        lock.release();
        yield* other.close();
      })(),
    );
  });

  // Chromium tells nobody but the spawner that a worker ended: the intermediary
  // passes that on to the owner, and a worker's workers end with it.
  it.each([
    ["end", "the intermediary ends that worker"],
    ["keep", "the intermediary itself ends"],
  ] as const)(
    "poisons a ThreadSafeLock held by a worker's own worker (a thread the owner never saw) when %s: %s",
    async (then, _how) => {
      await run(
        (function* (): Coro<void> {
          const intermediary = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
          const lock = new ThreadSafeLock({ backend });
          expect(yield* intermediary.api.childAcquires(lock, then)).toBe(true);
          expect(lock.locked()).toBe(true);
          if (then === "keep") intermediary.terminate(); // its worker, holding the lock, ends with it
          const outcome = yield* caught(waitFor(lock.acquire(), 5000));
          expect(outcome).toBeInstanceOf(LockOwnerDiedError);
          lock.recover();
          expect(yield* waitFor(lock.acquire(), 1000)).toBe(true);
          lock.release();
          if (then === "end") yield* intermediary.close();
        })(),
      );
    },
  );

  it("poisons a ThreadSafeLock that a thread got from its sibling, not from the owner or its spawner, and died holding", async () => {
    await withWorkers(2, function* (passer, holder) {
      const { port1, port2 } = createChannel();
      yield* passer.api.connectSibling(transfer(port1 as object, [port1 as object]));
      yield* holder.api.connectSibling(transfer(port2 as object, [port2 as object]));
      const lock = new ThreadSafeLock({ backend });
      expect(yield* passer.api.siblingAcquires(lock)).toBe(true);
      // In a browser, a thread can be watched once its Web Lock is held: normally
      // within milliseconds of loading asyncio-ts, but a loaded machine can take seconds.
      yield* holder.api.watchable();
      holder.terminate();
      expect(yield* caught(waitFor(lock.acquire(), 5000))).toBeInstanceOf(LockOwnerDiedError);
    });
  });

  it("releases a ThreadSafeLock made with onOwnerDeath: 'release'", async () => {
    await run(
      (function* (): Coro<void> {
        const holder = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
        const lock = new ThreadSafeLock({ onOwnerDeath: "release", backend });
        yield* holder.api.acquireAndKeep(lock);
        const waiting = lock.acquire();
        holder.terminate();
        expect(yield* waiting).toBe(true);
        lock.release();
      })(),
    );
  });

  it("gives a dead thread's ThreadSafeSemaphore permits back", async () => {
    await run(
      (function* (): Coro<void> {
        const holder = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
        const semaphore = new ThreadSafeSemaphore(1, { backend });
        yield* holder.api.acquireAndKeep(semaphore);
        expect(semaphore.locked()).toBe(true);
        const waiting = semaphore.acquire();
        holder.terminate();
        expect(yield* waiting).toBe(true);
        semaphore.release();
      })(),
    );
  });

  it("breaks a ThreadSafeBarrier a dead thread was waiting at", async () => {
    await run(
      (function* (): Coro<void> {
        const party = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
        yield* party.ready();
        const barrier = new ThreadSafeBarrier(3, { backend });
        const theirs = party.api.meet(barrier);
        const mine = barrier.wait();
        // The party must be at the barrier when it dies (the creating thread sees it arrive), however loaded the machine.
        while (barrier.nWaiting < 1) yield* sleep(5);
        party.terminate();
        expect(yield* caught(mine)).toBeInstanceOf(BrokenBarrierError);
        expect(yield* caught(theirs)).toBeInstanceOf(WorkerCrashedError);
      })(),
    );
  });
});
