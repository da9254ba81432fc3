// The worker of the thread-safe benchmarks (the built package).
import { expose } from "asyncio-ts";
import "./item-codec.mjs"; // defines the bytes codec on this thread too
import { hrMs } from "./hr-ms.mjs";

expose({
  /** Answers each item of `ping` on `pong`, `count` times. */
  *pingPong(ping, pong, count) {
    for (let i = 0; i < count; i++) yield* pong.put(yield* ping.get());
  },
  /** Gets `count` time stamps; returns how long they took to arrive, in all (ms). */
  *latencies(queue, count) {
    let total = 0;
    for (let i = 0; i < count; i++) {
      const stamp = yield* queue.get();
      total += hrMs() - stamp;
    }
    return total;
  },
  /** Returns `value`: a call whose argument list may carry a queue this thread holds already. */
  echo(value) {
    return value;
  },
  /** Gets until the queue is shut down; returns how many it got. */
  *drain(queue) {
    let count = 0;
    try {
      for (;;) {
        yield* queue.get();
        count++;
      }
    } catch (error) {
      if (error.name !== "QueueShutDown") throw error;
    }
    return count;
  },
  /** The same, as async code writes it: `for await` until the queue is shut down. */
  async drainForAwait(queue) {
    let count = 0;
    for await (const _item of queue) count++;
    return count;
  },
});
