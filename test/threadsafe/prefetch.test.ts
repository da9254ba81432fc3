import { describe, expect, it } from "vitest";
import { type Coro, ThreadSafeLifoQueue, ThreadSafePriorityQueue, ThreadSafeQueue, ValueError, run, sleep } from "../../src/index.js";
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

// prefetch is a message-backend option: a thread other than the owner fetches a
// batch of items with one message and its gets take them in order.
describe("ThreadSafeQueue prefetch (message backend)", { timeout: 30_000 }, () => {
  it("fetches in growing batches, keeps the order, and gives back at the head what no get took", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend: "message", prefetch: 64 });
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

  it("serves an await of a get whose item was fetched already without a task", async () => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<number>({ backend: "message", prefetch: 64 });
      for (const n of items(40)) queue.putNowait(n);
      const [got, tasksMade] = yield* worker.api.consumeAwaited(queue, 40);
      expect(got).toEqual(items(40));
      // A get waits (a task) only when nothing fetched is left: with batches of 1, 2,
      // 4, 8, 16, 32 that is at most 6 times for 40 items, fewer when batches asked for
      // ahead came in time. Without the shortcut, every one of the 40.
      expect(tasksMade).toBeLessThan(20);
      yield* queue.join();
    });
  });

  it("loses, duplicates and reorders nothing with two consumer threads, and join() waits for fetched items", async () => {
    await withWorkers(2, function* (a, b) {
      const queue = new ThreadSafeQueue<number>({ backend: "message", prefetch: 32, maxsize: 100 });
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
      const queue = new ThreadSafeQueue<number>({ backend: "message", prefetch: 16 });
      expect(yield* worker.api.getWithin(queue, 30)).toBe("TimeoutError");
      queue.putNowait(1);
      queue.putNowait(2);
      // The withdrawn fetch may have taken an item before its cancel arrived: it comes back.
      yield* until(() => queue.qsize() === 2, "both items are in the queue");
      expect([queue.getNowait(), queue.getNowait()]).toEqual([1, 2]);
      queue.putNowait(3);
      expect(yield* worker.api.consume(queue, 1)).toEqual([3]);
    });
  });

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
