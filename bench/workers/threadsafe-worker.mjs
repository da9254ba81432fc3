// The worker of the thread-safe benchmarks (the built package).
import { expose } from "asyncio-ts";
import "./item-codec.mjs"; // defines the bytes codec on this thread too

expose({
  /** Answers each item of `ping` on `pong`, `count` times. */
  *pingPong(ping, pong, count) {
    for (let i = 0; i < count; i++) yield* pong.put(yield* ping.get());
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
});
