// The worker side: a coroutine that reports progress and is cancelled at its yield*.
import { callSoonThreadsafe, expose, sleep } from "asyncio-ts";

let cleanups = 0;
const parent = expose({
  *job(steps) {
    try {
      for (let i = 1; i <= steps; i++) {
        yield* sleep(5); // a checkpoint: a cancel from the page lands here
        callSoonThreadsafe(parent, "progress", i);
      }
      return `done after ${steps} steps`;
    } finally {
      cleanups++; // runs when the page cancels, too
    }
  },
  cleanups: () => cleanups,
});
