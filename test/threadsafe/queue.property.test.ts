import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Coro, ThreadSafeQueue, type WorkerHandle, gather, run, spawnWorker, waitFor } from "../../src/index.js";
import type { api as WorkerApi } from "./fixtures/threadsafe-worker.js";
import { type ProgramOutcome, type QueueOp, runQueueProgram } from "./queue-program.js";
import { threadsafeWorkerUrl } from "./fixtures/worker-url.js";
import { backends } from "./fixtures/backends.js";

const step: fc.Arbitrary<QueueOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("put" as const), within: fc.constantFrom(0, 1, 5, 50) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("get" as const), within: fc.constantFrom(0, 1, 5, 50) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("pause" as const), ms: fc.constantFrom(0, 1, 3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("shutdown" as const), immediate: fc.boolean() }) },
);
const program = fc.array(step, { maxLength: 25 });

/**
 * Three threads — this one (the owner) and two workers — run random programs of
 * puts and gets, each bounded by a timeout that may cancel it at any point, and
 * shutdowns, against one ThreadSafeQueue. Whatever the interleaving, the model of
 * asyncio's queue holds: every item whose put completed comes out exactly once (got
 * by some thread, or still in the queue), unless a `shutdown(true)` dropped it; no
 * item whose put timed out or was refused ever appears; each thread got each
 * producer's items in the order they were put; and once every item got is marked
 * done, `join()` returns.
 */
describe.each(backends)("ThreadSafeQueue against a model, across three threads (%s backend)", { timeout: 120_000 }, (backend) => {
  it("never loses, duplicates or reorders an item under random puts, gets and cancellations", async () => {
    await run(
      (function* (): Coro<void> {
        const workers: WorkerHandle<typeof WorkerApi>[] = [spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl), spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl)];
        try {
          for (const worker of workers) yield* worker.ready();
          const samples = fc.sample(fc.tuple(fc.integer({ min: 0, max: 3 }), program, program, program), { numRuns: 15, seed: 20261202 });
          for (const [maxsize, mine, first, second] of samples) {
            const queue = new ThreadSafeQueue<string>({ maxsize, backend });
            const outcomes: ProgramOutcome[] = yield* gather(
              runQueueProgram(queue, "main", mine),
              workers[0]!.api.runProgram(queue, "w0", first),
              workers[1]!.api.runProgram(queue, "w1", second),
            );
            const left: string[] = [];
            while (!queue.empty()) left.push(queue.getNowait());
            const put = outcomes.flatMap((outcome) => outcome.put);
            const out = [...outcomes.flatMap((outcome) => outcome.got), ...left];
            if (outcomes.some((outcome) => outcome.droppedItems)) {
              expect(new Set(out).size).toBe(out.length); // at most once
              expect(out.filter((item) => !put.includes(item))).toEqual([]); // nothing else
            } else {
              expect([...out].sort()).toEqual([...put].sort()); // exactly once, nothing else
            }
            for (const _ of left) queue.taskDone();
            yield* waitFor(queue.join(), 2000); // every thread's count of unfinished items agrees
            for (const outcome of [...outcomes.map((o) => o.got), left]) {
              for (const producer of ["main", "w0", "w1"]) {
                const order = outcome.filter((item) => item.startsWith(`${producer}:`)).map((item) => Number(item.split(":")[1]));
                expect(order).toEqual([...order].sort((a, b) => a - b));
              }
            }
          }
        } finally {
          for (const worker of workers) yield* worker.close();
        }
      })(),
    );
  });
});
