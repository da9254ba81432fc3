import { describe, expect, it } from "vitest";
import { type Coro, type Queue, ThreadSafeQueue, sleep } from "../../src/index.js";
import { withWorkers } from "./fixtures/with-workers.js";

// On the message backend, another thread's get waiting at the owner is answered
// inside the owner's put that brings its item: the answer leaves before the put
// returns, not when the owner's loop next comes round. Shown here by blocking the
// owner's thread right after the put (Atomics.wait, allowed on Node's main thread):
// only an answer already sent can reach the worker then.

/** Waits until the owner's queue has `count` gets waiting (the worker's get has arrived). */
function* getsWaiting(queue: ThreadSafeQueue<unknown>, count: number): Coro<void> {
  const local = (queue as unknown as { local: Queue<unknown> }).local;
  for (let i = 0; local._waitingGetters < count; i++) {
    if (i > 5000) throw new Error("the worker's get never reached the owner");
    yield* sleep(1);
  }
}

describe("a get from another thread on the message backend", { timeout: 30_000 }, () => {
  it.each([1, 4])("is answered inside the owner's put that brings its item (prefetch %i)", async (prefetch) => {
    await withWorkers(1, function* (worker) {
      const queue = new ThreadSafeQueue<string>({ backend: "message", prefetch });
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const getter = worker.api.getAndFlag(queue, flag);
      yield* getsWaiting(queue, 1);
      yield* queue.put("item");
      // This thread's loop does not run while it waits here.
      expect(Atomics.wait(flag, 0, 0, 10_000)).not.toBe("timed-out");
      expect(yield* getter).toBe("item");
    });
  });
});
