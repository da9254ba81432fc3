import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Coro, createTask, isCoroutine } from "../../src/index.js";
import { type TryFirstPlan, WAIT, tryFirst } from "../../src/futures/try-first.js";
import { runV } from "../support/harness.js";

type Op = { op: "next"; value: number } | { op: "throw" } | { op: "return"; value: number };

/** What each op gives, or what it throws, in order. */
function outcomes(coro: Coro<unknown>, program: Op[]): unknown[] {
  return program.map((step) => {
    try {
      if (step.op === "next") return coro.next(step.value);
      if (step.op === "throw") return coro.throw(new Error("thrown in"));
      return coro.return(step.value);
    } catch (error) {
      return `threw ${(error as Error).message}`;
    }
  });
}

/** A plan whose attempt gives `now` (or throws), and whose wait yields twice, sums what it was sent (1 for nothing), and catches a throw once if told to. */
function plan(now: number | typeof WAIT | "throws", catches: boolean, log: string[]): TryFirstPlan<unknown> {
  return {
    attempt: () => {
      log.push("attempt");
      if (now === "throws") throw new Error("attempt failed");
      return now;
    },
    *wait(): Coro<unknown> {
      log.push("wait");
      let sum = 0;
      try {
        sum += ((yield) as number | undefined) ?? 1;
      } catch (error) {
        if (!catches) throw error;
        log.push("caught");
      } finally {
        log.push("finally");
      }
      sum += ((yield) as number | undefined) ?? 1;
      return sum;
    },
  };
}

describe("tryFirst", () => {
  it("answers next, throw and return in any order as the generator it stands for does, and calls the plan as it would", () => {
    const ops = fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: 9 }).map<Op>((value) => ({ op: "next", value })),
        fc.constant<Op>({ op: "throw" }),
        fc.integer({ min: 0, max: 9 }).map<Op>((value) => ({ op: "return", value })),
      ),
      { maxLength: 7 },
    );
    fc.assert(
      fc.property(fc.constantFrom<number | typeof WAIT | "throws">(WAIT, 5, "throws"), fc.boolean(), ops, (now, catches, program) => {
        const ours: string[] = [];
        const theirs: string[] = [];
        const reference = plan(now, catches, theirs);
        const model = (function* (): Coro<unknown> {
          const at = reference.attempt(undefined);
          if (at !== WAIT) return at;
          return yield* reference.wait(undefined);
        })();
        expect(outcomes(tryFirst(plan(now, catches, ours)), program)).toEqual(outcomes(model, program));
        expect(ours).toEqual(theirs);
      }),
    );
  });

  it("does nothing until it is run, and is a coroutine a task can run and async code can await", async () => {
    const log: string[] = [];
    const coro = tryFirst(plan(4, false, log));
    expect(log).toEqual([]);
    expect(isCoroutine(coro)).toBe(true);
    const results = await runV(function* () {
      const byTask = yield* createTask(tryFirst(plan(WAIT, false, log)) as Coro<number>);
      const byAwait = yield* createTask(async () => await (tryFirst(plan(6, false, log)) as unknown as PromiseLike<number>));
      return [yield* coro, byTask, byAwait];
    });
    expect(results).toEqual([4, 2, 6]); // a task resumes a bare yield with nothing: 1 + 1
  });
});
