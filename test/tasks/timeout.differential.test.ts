import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CancelledError, type Coro, TimeoutError, createTask, getRunningLoop, sleep, timeout } from "../../src/index.js";
import { runV } from "../support/harness.js";
import { nameOf } from "../support/program-log.js";
import { referenceTimeout } from "./reference-timeout.js";

/**
 * timeout() against a line-for-line port of CPython 3.13's Timeout
 * (reference-timeout.ts), on the same loop and tasks: a task runs an outer scope,
 * maybe an inner one, around a body of sleeps that may swallow one cancellation,
 * move its deadline and end in a scope of its own, while the test may cancel the
 * task from outside, once or twice.
 * Both must log the same events at the same loop times: when each sleep ended and
 * how, whether each scope expired, what came out of the task and how many
 * cancellation requests it still counts. This is where asyncio's rules are subtle
 * (whose cancellation is it, which scope turns it into TimeoutError, uncancel).
 */
interface Scenario {
  outer: number | null;
  inner: number | null | "none";
  sleeps: number[];
  swallow: boolean;
  reschedule: { before: number; by: number } | null;
  cancels: number[];
  /** After its sleeps, the body runs a scope of its own (entered with a swallowed cancellation still counted). */
  lateScope: boolean;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  outer: fc.constantFrom(null, 0, 2, 5, 9),
  inner: fc.constantFrom<number | null | "none">("none", null, 0, 1, 3, 6),
  sleeps: fc.array(fc.constantFrom(0, 1, 2, 4), { maxLength: 4 }),
  swallow: fc.boolean(),
  reschedule: fc.option(fc.record({ before: fc.nat(3), by: fc.constantFrom(-1, 0, 2, 5) })),
  cancels: fc.array(fc.constantFrom(0, 1, 2, 3, 5, 8), { maxLength: 2 }),
  lateScope: fc.boolean(),
});

/** A timeout as both implementations offer it: a delay and a body that gets the scope. */
type TimeoutFn = <T>(delay: number | null, body: (scope: { reschedule(when: number | null): void; expired(): boolean }) => Coro<T>) => Coro<T>;

function runScenario(withTimeout: TimeoutFn, s: Scenario): Promise<string[]> {
  return runV(function* (): Coro<string[]> {
    const loop = getRunningLoop();
    const log: string[] = [];
    const at = (event: string): void => void log.push(`${loop.time()} ${event}`);
    function* body(scope: { reschedule(when: number | null): void }): Coro<string> {
      let swallowed = !s.swallow;
      for (let i = 0; i < s.sleeps.length; i++) {
        if (s.reschedule?.before === i) scope.reschedule(loop.time() + s.reschedule.by);
        try {
          yield* sleep(s.sleeps[i]!);
          at(`slept ${i}`);
        } catch (error) {
          at(`sleep ${i}: ${nameOf(error)}`);
          if (swallowed || !(error instanceof CancelledError)) throw error;
          swallowed = true; // goes on as if nothing happened, once
        }
      }
      if (s.lateScope) {
        try {
          yield* withTimeout(1, () => sleep(2));
          at("late scope done");
        } catch (error) {
          at(`late scope: ${nameOf(error)}`);
          if (!(error instanceof TimeoutError)) throw error;
        }
      }
      return "body done";
    }
    function* scoped(delay: number | null, inner: (scope: { reschedule(when: number | null): void }) => Coro<string>): Coro<string> {
      let expired: () => boolean = () => false;
      try {
        return yield* withTimeout(delay, (scope) => {
          expired = () => scope.expired();
          return inner(scope);
        });
      } finally {
        at(`scope ${delay} expired ${expired()}`);
      }
    }
    // The body moves the deadline of the innermost scope.
    const inner = s.inner;
    const task = createTask(inner === "none" ? scoped(s.outer, body) : scoped(s.outer, () => scoped(inner, body)));
    for (const delay of s.cancels) {
      yield* sleep(delay);
      if (!task.done()) at(`cancel: ${task.cancel()}`);
    }
    try {
      at(`task: ${yield* task}`);
    } catch (error) {
      at(`task: ${nameOf(error)}`);
    }
    at(`cancelling ${task.cancelling()}`);
    return log;
  });
}

const ours: TimeoutFn = (delay, body) => timeout(delay, body) as unknown as Coro<never>;

describe("timeout() against CPython's Timeout", () => {
  it("logs the same events as the reference in random scenarios of deadlines, sleeps and cancellations", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        expect(await runScenario(ours, s)).toEqual(await runScenario(referenceTimeout as TimeoutFn, s));
      }),
      { numRuns: 1000 },
    );
  });
});
