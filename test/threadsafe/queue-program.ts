// A random program of queue operations, run by each thread of the model test
// (queue.property.test.ts): puts and gets bounded by a timeout, so that none
// waits forever, whose outcome says exactly which items went in and came out.
import { type Coro, type ThreadSafeQueue, TimeoutError, sleep, waitFor } from "../../src/index.js";

export type QueueOp = { op: "put"; within: number } | { op: "get"; within: number } | { op: "pause"; ms: number };

export interface ProgramOutcome {
  /** Items whose put completed, in order. */
  put: string[];
  /** Items this thread got, in the order it got them. */
  got: string[];
}

export function* runQueueProgram(queue: ThreadSafeQueue<string>, tag: string, program: readonly QueueOp[]): Coro<ProgramOutcome> {
  const outcome: ProgramOutcome = { put: [], got: [] };
  let next = 0;
  for (const step of program) {
    if (step.op === "pause") {
      yield* sleep(step.ms);
      continue;
    }
    try {
      if (step.op === "put") {
        const item = `${tag}:${next++}`;
        yield* waitFor(queue.put(item), step.within); // a put that times out must add nothing
        outcome.put.push(item);
      } else {
        outcome.got.push(yield* waitFor(queue.get(), step.within)); // one that times out must take nothing
        queue.taskDone();
      }
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
    }
  }
  return outcome;
}
