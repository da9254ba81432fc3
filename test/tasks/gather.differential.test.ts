import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Coro, type Future, type FutureSource, type Task, createTask, gather, sleep } from "../../src/index.js";
import { type ChildSpec, cancelAll, nameOf, runLogged, scenarioChild } from "../support/program-log.js";
import { referenceGather } from "./reference-gather.js";

/**
 * gather() against a line-for-line port of CPython 3.13's gather
 * (reference-gather.ts), on the same loop and tasks: children that sleep and then
 * return, fail, or swallow a cancellation, passed as coroutines or as tasks (one of
 * them maybe twice), gathered with or without return_exceptions, while the test
 * cancels the gather, the task awaiting it or a child at random times. Both must
 * log the same events at the same loop times: how each child ended, what the
 * gather gave or threw, and what the awaiting task ended with.
 */
interface GatheredChild extends ChildSpec {
  asTask: boolean;
}
interface Scenario {
  children: GatheredChild[];
  repeat: number | null;
  returnExceptions: boolean;
  cancels: { at: number; target: "gather" | "awaiter" | number }[];
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  children: fc.array(fc.record({ sleep: fc.constantFrom(0, 1, 2, 3), end: fc.constantFrom("value" as const, "error" as const, "swallow" as const), asTask: fc.boolean() }), { minLength: 1, maxLength: 4 }),
  repeat: fc.option(fc.nat(3)),
  returnExceptions: fc.boolean(),
  cancels: fc.array(fc.record({ at: fc.constantFrom(0, 1, 2, 3), target: fc.oneof(fc.constantFrom("gather" as const, "awaiter" as const), fc.nat(3)) }), { maxLength: 2 }),
});

type GatherFn = (args: readonly FutureSource<unknown>[], returnExceptions: boolean) => Future<unknown[]>;

function runScenario(gatherWith: GatherFn, s: Scenario): Promise<string[]> {
  return runLogged(function* (at): Coro<void> {
    const show = (value: unknown): string => (value instanceof Error ? nameOf(value) : String(value));
    const tasks: Task<unknown>[] = [];
    const args: FutureSource<unknown>[] = s.children.map((spec, i) => {
      if (!spec.asTask) return scenarioChild(at, i, spec);
      const task = createTask(scenarioChild(at, i, spec));
      tasks.push(task);
      return task;
    });
    if (s.repeat !== null) args.push(args[s.repeat % args.length]!);
    let gathering: Future<unknown[]> | null = null;
    const awaiter = createTask(
      (function* (): Coro<void> {
        gathering = gatherWith(args, s.returnExceptions);
        try {
          at(`gather: [${(yield* gathering).map(show).join(", ")}]`);
        } catch (error) {
          at(`gather: ${nameOf(error)}`);
          throw error;
        }
      })(),
    );
    for (const c of s.cancels) {
      yield* sleep(c.at);
      const target = c.target === "gather" ? gathering : c.target === "awaiter" ? awaiter : tasks[c.target % Math.max(1, tasks.length)];
      if (target) at(`cancel ${typeof c.target === "number" ? "child task" : c.target}: ${target.cancel()}`);
    }
    try {
      yield* awaiter;
      at("awaiter done");
    } catch (error) {
      at(`awaiter: ${nameOf(error)}`);
    }
    yield* cancelAll(tasks); // children a cancelled gather left running
  });
}

const ours: GatherFn = (args, returnExceptions) => gather(...args, { returnExceptions }) as Future<unknown[]>;

describe("gather() against CPython's", () => {
  it("logs the same events as the reference in random scenarios of children, failures and cancellations", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        expect(await runScenario(ours, s)).toEqual(await runScenario(referenceGather, s));
      }),
      { numRuns: 1000 },
    );
  });
});
