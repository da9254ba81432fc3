import { describe, expect, it } from "vitest";
import { type Coro, PriorityQueue, Queue, QueueEmpty, QueueShutDown, createTask, sleep } from "../../src/index.js";
import type { WokenGet } from "../../src/queues/queue.js";
import { runV } from "../support/harness.js";

// Queue._getWhenWoken: a get for a waiter that is no task of this thread (a
// ThreadSafeQueue's owner serving another thread's get). Its item is taken in the
// very step its turn comes in, in FIFO order with the ordinary gets.

/** A receiver that records what it got, in order. */
function recorder(): WokenGet<unknown> & { got: unknown[] } {
  const got: unknown[] = [];
  return {
    got,
    item: (item) => got.push(item),
    fail: (error) => got.push(error),
  };
}

describe("Queue._getWhenWoken", () => {
  it("takes an item at once when there is one, and otherwise inside the put that brings one", async () => {
    await runV(function* () {
      const queue = new Queue<string>();
      yield* queue.put("ready");
      const receiver = recorder();
      queue._getWhenWoken(receiver);
      expect(receiver.got).toEqual(["ready"]);
      queue._getWhenWoken(receiver);
      expect(receiver.got).toEqual(["ready"]);
      queue.putNowait("brought");
      // Taken before putNowait returned: no other code can take it first.
      expect(receiver.got).toEqual(["ready", "brought"]);
      expect(queue.qsize()).toBe(0);
      expect(() => queue.getNowait()).toThrow(QueueEmpty);
    });
  });

  it("takes its turn in FIFO order with the gets of this thread's tasks", async () => {
    await runV(function* () {
      const queue = new Queue<number>();
      const first = createTask(queue.get());
      yield* sleep(0); // the task's get waits first
      const receiver = recorder();
      queue._getWhenWoken(receiver);
      const third = createTask(queue.get());
      yield* sleep(0);
      for (const n of [1, 2, 3]) queue.putNowait(n);
      // Woken behind the first task's get, it acts after it, on the loop (asyncio
      // runs woken getters in the order they were woken).
      expect(receiver.got).toEqual([]);
      expect(yield* first).toBe(1);
      expect(receiver.got).toEqual([2]);
      expect(yield* third).toBe(3);
      expect(queue._waitingGetters).toBe(0); // every woken get has acted
    });
  });

  it("follows the queue's own order (a priority queue's smallest first)", async () => {
    await runV(function* () {
      const queue = new PriorityQueue<number>();
      for (const n of [5, 1, 3]) queue.putNowait(n);
      const receiver = recorder();
      queue._getWhenWoken(receiver);
      expect(receiver.got).toEqual([1]);
    });
  });

  it("passes its wake on when withdrawn after it was woken behind another get", async () => {
    await runV(function* () {
      const queue = new Queue<number>();
      const first = createTask(queue.get());
      yield* sleep(0);
      const receiver = recorder();
      const withdraw = queue._getWhenWoken(receiver);
      const third = createTask(queue.get());
      yield* sleep(0);
      queue.putNowait(1);
      queue.putNowait(2); // wakes the withdrawn get, which must hand its wake to the third
      withdraw();
      expect([yield* first, yield* third]).toEqual([1, 2]);
      expect(receiver.got).toEqual([]);
      expect(queue._waitingGetters).toBe(0);
    });
  });

  it("takes nothing once withdrawn, and the next get gets the item", async () => {
    await runV(function* () {
      const queue = new Queue<string>();
      const receiver = recorder();
      const withdraw = queue._getWhenWoken(receiver);
      const next = createTask(queue.get());
      yield* sleep(0);
      withdraw();
      queue.putNowait("x");
      expect(receiver.got).toEqual([]);
      expect(yield* next).toBe("x");
      withdraw(); // a second withdrawal does nothing
      expect(queue.qsize()).toBe(0);
    });
  });

  it("a withdrawal after the item was taken changes nothing", async () => {
    await runV(function* () {
      const queue = new Queue<string>();
      const receiver = recorder();
      const withdraw = queue._getWhenWoken(receiver);
      queue.putNowait("x");
      withdraw();
      queue.putNowait("y");
      expect(receiver.got).toEqual(["x"]);
      expect(queue.getNowait()).toBe("y");
    });
  });

  it("fails with QueueShutDown when the queue is shut down while it waits, or is shut down and empty", async () => {
    await runV(function* () {
      const queue = new Queue<string>();
      const waiting = recorder();
      queue._getWhenWoken(waiting);
      queue.shutdown();
      expect(waiting.got).toHaveLength(1);
      expect(waiting.got[0]).toBeInstanceOf(QueueShutDown);
      const late = recorder();
      queue._getWhenWoken(late);
      expect(late.got[0]).toBeInstanceOf(QueueShutDown);
    });
  });

  it("still drains what is left after a shutdown that is not immediate", async () => {
    await runV(function* () {
      const queue = new Queue<string>();
      queue.putNowait("left");
      queue.shutdown();
      const receiver = recorder();
      queue._getWhenWoken(receiver);
      expect(receiver.got).toEqual(["left"]);
    });
  });

  it("frees a slot for a waiting put, which then adds its item", async () => {
    await runV(function* (): Coro<void> {
      const queue = new Queue<number>(1);
      queue.putNowait(1);
      const putter = createTask(queue.put(2));
      yield* sleep(0);
      const receiver = recorder();
      queue._getWhenWoken(receiver);
      expect(receiver.got).toEqual([1]);
      yield* putter;
      expect(queue.getNowait()).toBe(2);
    });
  });

  it("gets items given back (a prefetch's) at the head, in order", async () => {
    await runV(function* () {
      const queue = new Queue<string>();
      const receiver = recorder();
      queue._getWhenWoken(receiver);
      queue.putNowait("later");
      queue._getWhenWoken(receiver);
      queue._giveBack(["a", "b"]);
      expect(receiver.got).toEqual(["later", "a"]);
      expect(queue.getNowait()).toBe("b");
    });
  });
});
