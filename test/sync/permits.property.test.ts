import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoundedSemaphore, type Coro, Lock, createTask, sleep } from "../../src/index.js";
import { runV } from "../support/harness.js";

/**
 * Tasks take a permit, hold it a random while and give it back; some are
 * cancelled at random moments — while waiting, right after being woken, or while
 * holding. Invariants: never more holders than permits, and when everything has
 * finished every permit is back (nothing lost, nothing duplicated).
 */
const plan = fc.record({
  permits: fc.integer({ min: 1, max: 3 }),
  workers: fc.array(
    fc.record({ startAt: fc.integer({ min: 0, max: 5 }), holdFor: fc.integer({ min: 0, max: 4 }), cancelAt: fc.option(fc.integer({ min: 0, max: 12 })) }),
    { minLength: 1, maxLength: 12 },
  ),
});

interface Worker {
  startAt: number;
  holdFor: number;
  cancelAt: number | null;
}

/**
 * Runs the workers against `acquirable` (each holds it with a guard), cancels the
 * ones that have a cancelAt, waits for all, and returns the most holders seen at once.
 */
function* contend(acquirable: { hold(): Coro<{ [Symbol.dispose](): void }> }, workers: Worker[]): Coro<{ most: number; holders: number }> {
  let holders = 0;
  let most = 0;
  const tasks = workers.map(({ startAt, holdFor }) =>
    createTask(
      (function* (): Coro<void> {
        yield* sleep(startAt);
        using _held = yield* acquirable.hold();
        holders++;
        most = Math.max(most, holders);
        try {
          yield* sleep(holdFor);
        } finally {
          holders--;
        }
      })(),
    ),
  );
  workers.forEach(({ cancelAt }, i) => {
    if (cancelAt !== null) createTask(sleep(cancelAt)).addDoneCallback(() => tasks[i]!.cancel());
  });
  for (const task of tasks) {
    try {
      yield* task;
    } catch {
      // cancelled
    }
  }
  return { most, holders };
}

describe("permits are never lost or duplicated", () => {
  it("BoundedSemaphore under random contention and cancellation", async () => {
    await fc.assert(
      fc.asyncProperty(plan, async ({ permits, workers }) => {
        await runV(function* () {
          const semaphore = new BoundedSemaphore(permits);
          const { most, holders } = yield* contend(semaphore, workers);
          expect(most).toBeLessThanOrEqual(permits);
          expect(holders).toBe(0);
          // Every permit is back: all can be taken without waiting, and no more.
          for (let i = 0; i < permits; i++) {
            expect(semaphore.locked()).toBe(false);
            yield* semaphore.acquire();
          }
          expect(semaphore.locked()).toBe(true);
          for (let i = 0; i < permits; i++) semaphore.release();
          expect(() => semaphore.release()).toThrow(); // bounded: no extra permit appeared
        });
      }),
      { numRuns: 150 },
    );
  });

  it("Lock under random contention and cancellation", async () => {
    await fc.assert(
      fc.asyncProperty(plan, async ({ workers }) => {
        await runV(function* () {
          const lock = new Lock();
          const { most, holders } = yield* contend(lock, workers);
          expect(holders).toBe(0);
          expect(most).toBeLessThanOrEqual(1);
          expect(lock.locked()).toBe(false);
          yield* lock.acquire(); // free, and acquired without waiting
          expect(lock.locked()).toBe(true);
        });
      }),
      { numRuns: 150 },
    );
  });
});
