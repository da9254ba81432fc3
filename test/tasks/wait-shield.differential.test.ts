import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALL_COMPLETED, type Coro, FIRST_COMPLETED, FIRST_EXCEPTION, type Future, type Task, createTask, shield, sleep, wait } from "../../src/index.js";
import { type ChildSpec, cancelAll, nameOf, runLogged, scenarioChild } from "../support/program-log.js";
import { type ReturnWhen, referenceShield, referenceWait } from "./reference-wait.js";

/**
 * wait() and shield() against line-for-line ports of CPython 3.13's
 * (reference-wait.ts), on the same loop and tasks: child tasks that sleep and then
 * return, fail or swallow a cancellation; one task waits on them all (with a
 * timeout, and a return_when), another awaits one child through shield(); the test
 * cancels either of them or a child at random times. Both must log the same events
 * at the same loop times, and report the same errors to the loop.
 */
interface Scenario {
  children: ChildSpec[];
  timeout: number | null;
  returnWhen: ReturnWhen;
  shielded: number | null;
  cancels: { at: number; target: "waiter" | "shielder" | number }[];
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  children: fc.array(fc.record({ sleep: fc.constantFrom(0, 1, 2, 3), end: fc.constantFrom("value" as const, "error" as const, "swallow" as const) }), { minLength: 1, maxLength: 4 }),
  timeout: fc.constantFrom(null, 0, 1, 2),
  returnWhen: fc.constantFrom<ReturnWhen>(FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED),
  shielded: fc.option(fc.nat(3)),
  cancels: fc.array(fc.record({ at: fc.constantFrom(0, 1, 2), target: fc.oneof(fc.constantFrom("waiter" as const, "shielder" as const), fc.nat(3)) }), { maxLength: 2 }),
});

interface Implementation {
  wait(futures: readonly Future<string>[], timeout: number | null, returnWhen: ReturnWhen): Coro<[Set<Future<string>>, Set<Future<string>>]>;
  shield(future: Future<string>): Future<string>;
}

function runScenario(impl: Implementation, s: Scenario): Promise<string[]> {
  return runLogged(function* (at): Coro<void> {
    const children = s.children.map((spec, i) => createTask(scenarioChild(at, i, spec)));
    const indices = (set: Set<Future<string>>): string => children.flatMap((task, i) => (set.has(task) ? [i] : [])).join(",");
    const logged = (name: string, body: () => Coro<string>): Task<void> =>
      createTask(
        (function* (): Coro<void> {
          try {
            at(`${name}: ${yield* body()}`);
          } catch (error) {
            at(`${name}: ${nameOf(error)}`);
            throw error;
          }
        })(),
      );
    const waiter = logged("wait", function* () {
      const [done, pending] = yield* impl.wait(children, s.timeout, s.returnWhen);
      return `done [${indices(done)}] pending [${indices(pending)}]`;
    });
    const shielded = s.shielded === null ? null : children[s.shielded % children.length]!;
    const shielder = shielded === null ? null : logged("shield", () => impl.shield(shielded) as unknown as Coro<string>);
    for (const c of s.cancels) {
      yield* sleep(c.at);
      const target = c.target === "waiter" ? waiter : c.target === "shielder" ? shielder : children[c.target % children.length]!;
      if (target !== null) at(`cancel ${typeof c.target === "number" ? `child ${c.target % children.length}` : c.target}: ${target.cancel()}`);
    }
    yield* cancelAll([waiter, ...(shielder ? [shielder] : [])]);
    yield* sleep(5); // let the children finish on their own (a shield keeps its child going)
    yield* cancelAll(children);
  });
}

const ours: Implementation = {
  wait: (futures, timeout, returnWhen) => wait(futures, { timeout, returnWhen }) as unknown as Coro<[Set<Future<string>>, Set<Future<string>>]>,
  shield: (future) => shield(future),
};
const reference: Implementation = { wait: referenceWait, shield: referenceShield };

describe("wait() and shield() against CPython's", () => {
  it("log the same events as the references in random scenarios of children, timeouts and cancellations", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        expect(await runScenario(ours, s)).toEqual(await runScenario(reference, s));
      }),
      { numRuns: 1000 },
    );
  });
});
