import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Coro, Queue, type Task, createTask, sleep } from "../../src/index.js";
import { runV } from "../support/harness.js";
import { cancelAll } from "../support/program-log.js";

/**
 * Random interleavings of puts, gets and cancellations against the simplest model
 * of a FIFO queue: whatever happens, the items that come out (taken by getters, then
 * drained) are exactly the items whose put completed, in the order they went in.
 * A cancelled put adds nothing; a cancelled get takes nothing.
 */
type Command =
  | { kind: "put"; value: number }
  | { kind: "get" }
  | { kind: "putNowait"; value: number }
  | { kind: "getNowait" }
  | { kind: "cancel"; index: number }
  | { kind: "step"; ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant("put" as const), value: fc.integer() }),
  fc.record({ kind: fc.constant("get" as const) }),
  fc.record({ kind: fc.constant("putNowait" as const), value: fc.integer() }),
  fc.record({ kind: fc.constant("getNowait" as const) }),
  fc.record({ kind: fc.constant("cancel" as const), index: fc.nat() }),
  fc.record({ kind: fc.constant("step" as const), ms: fc.constantFrom(0, 0, 1) }),
);

describe("Queue against a FIFO model", () => {
  it("never loses, duplicates or reorders an item under random puts, gets and cancels", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(command, { maxLength: 40 }), async (maxsize, commands) => {
        await runV(function* () {
          const queue = new Queue<number>(maxsize);
          const putOrder: number[] = []; // items whose put completed, in insertion order
          const taken: number[] = []; // items getters received, in the order they took them
          const pending: Task<unknown>[] = [];
          for (const c of commands) {
            switch (c.kind) {
              case "put":
                pending.push(
                  createTask(
                    (function* (): Coro<void> {
                      yield* queue.put(c.value);
                      putOrder.push(c.value); // same step as the insertion
                    })(),
                  ),
                );
                break;
              case "get":
                pending.push(
                  createTask(
                    (function* (): Coro<void> {
                      taken.push(yield* queue.get());
                    })(),
                  ),
                );
                break;
              case "putNowait":
                if (!queue.full()) {
                  queue.putNowait(c.value);
                  putOrder.push(c.value);
                } else expect(() => queue.putNowait(c.value)).toThrow();
                break;
              case "getNowait":
                if (!queue.empty()) taken.push(queue.getNowait());
                else expect(() => queue.getNowait()).toThrow();
                break;
              case "cancel":
                if (pending.length > 0) pending[c.index % pending.length]!.cancel();
                break;
              case "step":
                yield* sleep(c.ms);
                break;
            }
          }
          // Let everything settle, then stop whoever still waits.
          yield* sleep(1);
          yield* cancelAll(pending);
          const remaining: number[] = [];
          while (!queue.empty()) remaining.push(queue.getNowait());
          expect([...taken, ...remaining]).toEqual(putOrder);
          if (maxsize > 0) expect(remaining.length).toBeLessThanOrEqual(maxsize);
        });
      }),
      { numRuns: 150 },
    );
  });
});
