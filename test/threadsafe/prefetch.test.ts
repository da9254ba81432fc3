import { describe, expect, it } from "vitest";
import { type Coro, ThreadSafeLifoQueue, ThreadSafePriorityQueue, ThreadSafeQueue, ValueError, run, sleep, waitFor } from "../../src/index.js";
import { backends } from "./fixtures/backends.js";
import { withWorkers } from "./fixtures/with-workers.js";

/** Waits (real time, bounded) until `check` holds: for what another thread does in its own time. */
function* until(check: () => boolean, what: string, ms = 3000): Coro<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    yield* sleep(5);
  }
}

const items = (count: number, from = 0): number[] => Array.from({ length: count }, (_, i) => from + i);

// With prefetch, a thread other than the creating one fetches a batch of items at
// once (one message to the owner, or one turn of the shared mutex) and its gets
// take them in order.
describe.each(backends)("ThreadSafeQueue prefetch (%s backend)", { timeout: 30_000 }, (backend) => {
  it("fetches in growing batches, keeps the order, and gives back at the head what no get took", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend, prefetch: 64 });
      for (const n of items(200)) queue.putNowait(n);
      const [got, sizeSeen] = yield* worker.api.consumeThenSize(queue, 50);
      expect(got).toEqual(items(50));
      // Batches of 1, 2, 4, 8, … brought more than the 50 over (how many depends on
      // when the batches asked for ahead arrived).
      expect(sizeSeen).toBeLessThan(150);
      // The 13 no get took come back to the head within a moment, in their order.
      yield* until(() => queue.qsize() === 150, "the prefetched items are back");
      expect([queue.getNowait(), queue.getNowait()]).toEqual([50, 51]);
    });
  });

  it("loses, duplicates and reorders nothing with two consumer threads, and join() waits for fetched items", async () => {
    await withWorkers(2, function* (a, b) {
      const queue = new ThreadSafeQueue<number>({ backend, prefetch: 32, maxsize: 100 });
      const drains = [a.api.drain(queue), b.api.drain(queue)];
      for (const n of items(2000)) yield* queue.put(n);
      yield* queue.join(); // each drain marks its items done
      queue.shutdown();
      const lists = [(yield* drains[0]!).items, (yield* drains[1]!).items] as number[][];
      for (const list of lists) expect(list).toEqual([...list].sort((x, y) => x - y));
      expect([...lists[0]!, ...lists[1]!].sort((x, y) => x - y)).toEqual(items(2000));
    });
  });

  it("takes nothing for good when a get gives up: a fetch it started brings its items back", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend, prefetch: 16 });
      expect(yield* worker.api.getWithin(queue, 30)).toBe("TimeoutError");
      queue.putNowait(1);
      queue.putNowait(2);
      // The fetch is withdrawn a moment after the get gave up (a message later, or the
      // worker's next loop iteration): meanwhile it may have taken an item, which comes
      // back, or been owed one, which it passes on. Either way both come (an item given
      // back after a later one was got comes after it: see docs/threads.md).
      const got = [yield* waitFor(queue.get(), 3000), yield* waitFor(queue.get(), 3000)];
      expect(got.sort()).toEqual([1, 2]);
      expect(queue.qsize()).toBe(0);
      queue.putNowait(3);
      expect(yield* worker.api.consume(queue, 1)).toEqual([3]);
    });
  });

  it("gives an item back to a get that waits on another thread", async () => {
    await withWorkers(2, function* (holder, waiter) {
      const queue = new ThreadSafeQueue<number>({ backend, prefetch: 8 });
      for (const n of items(3)) queue.putNowait(n);
      // Batches of 1 then 2: the holder keeps item 2 and takes no more.
      expect(yield* holder.api.consume(queue, 2)).toEqual([0, 1]);
      expect(queue.qsize()).toBe(0);
      // The queue looks empty to the other thread until the holder gives 2 back (which
      // may happen before or while it waits: shared.test.ts has the waiting case alone).
      expect(yield* waiter.api.getWithin(queue, 2000)).toBe(2);
    });
  });

  it("drops and marks done what it gives back after shutdown(true), so join() completes", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend, prefetch: 8 });
      for (const n of items(10)) queue.putNowait(n);
      expect(yield* worker.api.consume(queue, 2)).toEqual([0, 1]); // and holds item 2
      queue.shutdown(true); // drops 3…9: one item is still unfinished, at the worker
      yield* waitFor(queue.join(), 2000);
      expect(queue.qsize()).toBe(0);
    });
  });
});

describe("ThreadSafeQueue prefetch options", () => {
  it("is validated, and refused by the queues that choose the next item at each get", async () => {
    await run(
      (function* (): Coro<void> {
        expect(() => new ThreadSafeQueue({ backend: "message", prefetch: 0 })).toThrow(ValueError);
        expect(() => new ThreadSafeQueue({ backend: "message", prefetch: 2000 })).toThrow(/between 1 \(no prefetch\) and 1024/);
        expect(() => new ThreadSafeQueue({ backend: "message", prefetch: 1.5 })).toThrow(TypeError);
        expect(() => new ThreadSafeLifoQueue({ backend: "message", prefetch: 4 })).toThrow(/FIFO order/);
        expect(() => new ThreadSafePriorityQueue({ prefetch: 4 })).toThrow(/FIFO order/);
        expect(new ThreadSafeLifoQueue({ backend: "message", prefetch: 1 }).maxsize).toBe(0);
      })(),
    );
  });
});
