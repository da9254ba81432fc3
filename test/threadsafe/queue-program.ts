// A random program of queue operations, run by each thread of the model test
// (queue.property.test.ts): puts and gets bounded by a timeout, so that none
// waits forever, and shutdowns, whose outcome says exactly which items went in and
// came out.
import { type Coro, QueueShutDown, type ThreadSafeQueue, TimeoutError, sleep, waitFor } from "../../src/index.js";

export type QueueOp =
  | { op: "put"; within: number }
  | { op: "get"; within: number }
  | { op: "pause"; ms: number }
  | { op: "shutdown"; immediate: boolean };

export interface ProgramOutcome {
  /** Items whose put completed, in order. */
  put: string[];
  /** Items this thread got, in the order it got them. */
  got: string[];
  /** Whether this thread shut the queue down with `immediate` (which drops what is in it). */
  droppedItems: boolean;
}

export function* runQueueProgram(queue: ThreadSafeQueue<string>, tag: string, program: readonly QueueOp[]): Coro<ProgramOutcome> {
  const outcome: ProgramOutcome = { put: [], got: [], droppedItems: false };
  let next = 0;
  for (const step of program) {
    if (step.op === "pause") {
      yield* sleep(step.ms);
      continue;
    }
    if (step.op === "shutdown") {
      queue.shutdown(step.immediate);
      if (step.immediate) outcome.droppedItems = true;
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
      // A put refused once the queue is shut down adds nothing; a get refused takes nothing.
      if (!(error instanceof TimeoutError) && !(error instanceof QueueShutDown)) throw error;
    }
  }
  return outcome;
}
