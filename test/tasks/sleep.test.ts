import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CancelledError, type Coro, Future, createTask, getRunningLoop, isCoroutine, sleep } from "../../src/index.js";
import { Log, caught, runVirtual } from "../support/harness.js";

describe("sleep", () => {
  it("waits the given time and returns the value", async () => {
    const { value, clock } = await runVirtual(function* () {
      return yield* sleep(250, { payload: 1 });
    });
    expect(value).toEqual({ payload: 1 });
    expect(clock.now()).toBe(250);
  });

  it("sleep(0) gives up exactly one iteration, like asyncio's bare yield", async () => {
    const log = new Log();
    await runVirtual(function* () {
      const loop = getRunningLoop();
      loop.callSoon(() => {
        log.add("first callback");
        loop.callSoon(() => log.add("second callback"));
      });
      yield* sleep(0);
      log.add("resumed");
      yield* sleep(0);
    });
    expect(log.events).toEqual(["first callback", "resumed", "second callback"]);
  });

  it("sleep(0) answers next, throw and return in any order as the generator `function* () { yield; return value; }` does", () => {
    type Op = { op: "next" } | { op: "throw" } | { op: "return"; value: number };
    const ops = fc.array(fc.oneof(fc.constant<Op>({ op: "next" }), fc.constant<Op>({ op: "throw" }), fc.integer().map<Op>((value) => ({ op: "return", value }))), { maxLength: 6 });
    function outcomes(coro: Coro<unknown>, program: Op[]): unknown[] {
      return program.map((step) => {
        try {
          if (step.op === "next") return coro.next(undefined);
          if (step.op === "throw") return coro.throw(new Error("thrown in"));
          return coro.return(step.value);
        } catch (error) {
          return `threw ${(error as Error).message}`;
        }
      });
    }
    fc.assert(
      fc.property(fc.constantFrom(undefined, 7, "v"), ops, (value, program) => {
        const model = (function* (): Coro<unknown> {
          yield;
          return value;
        })();
        expect(outcomes(sleep(0, value), program)).toEqual(outcomes(model, program));
      }),
    );
    expect(isCoroutine(sleep(0))).toBe(true);
  });

  it("sleep(ms) answers next, throw and return in any order, with its future settled or not, as the generator it stands for does", async () => {
    // The model is the generator sleep(ms) was before it was written by hand.
    function* model<T>(ms: number, value: T): Coro<T> {
      const loop = getRunningLoop();
      const future = loop.createFuture<T>();
      const timer = loop.callLater(ms, () => future.done() || future.setResult(value));
      try {
        return yield* future;
      } finally {
        timer.cancel();
      }
    }
    type Op = { op: "next" } | { op: "throw" } | { op: "return"; value: number } | { op: "resolve" } | { op: "cancel" };
    const op = fc.oneof(
      fc.constant<Op>({ op: "next" }),
      fc.constant<Op>({ op: "throw" }),
      fc.integer().map<Op>((value) => ({ op: "return", value })),
      fc.constant<Op>({ op: "resolve" }),
      fc.constant<Op>({ op: "cancel" }),
    );
    /** Runs the program, then lets the deadline pass: the future's end says whether the timer was stopped. */
    function* outcomes(coro: Coro<unknown>, program: Op[]): Coro<unknown[]> {
      let future: Future<unknown> | null = null;
      const seen = program.map((step) => {
        try {
          if (step.op === "resolve" || step.op === "cancel") {
            if (future === null || future.done()) return "nothing to settle";
            if (step.op === "resolve") future.setResult("early");
            else future.cancel("by the test");
            return step.op;
          }
          const result = step.op === "next" ? coro.next(undefined) : step.op === "throw" ? coro.throw(new Error("thrown in")) : coro.return(step.value);
          if (result.value instanceof Future) {
            future = result.value;
            return { done: result.done, value: "a future" };
          }
          return result;
        } catch (error) {
          return `threw ${(error as Error).name}: ${(error as Error).message}`;
        }
      });
      yield* sleep(20);
      const settled = future as Future<unknown> | null;
      seen.push(settled === null ? "no future" : settled.cancelled() ? "cancelled" : settled.done() ? `result ${String(settled.result())}` : "still pending");
      return seen;
    }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(undefined, 7, "v"), fc.array(op, { maxLength: 7 }), async (value, program) => {
        const { value: seen } = await runVirtual(function* () {
          return [yield* outcomes(sleep(10, value), program), yield* outcomes(model(10, value), program)];
        });
        expect(seen[0]).toEqual(seen[1]);
      }),
      { numRuns: 500 }, // a run is one short virtual loop; the telling programs are a few percent of them
    );
    expect(isCoroutine(sleep(10))).toBe(true);
  });

  it("sleep(0) as a task of its own, and cancelled where it yields: the CancelledError surfaces in the coroutine there", async () => {
    const log = new Log();
    const { value } = await runVirtual(function* () {
      const own = yield* createTask(sleep(0, "own task"));
      const waiter = createTask(
        (function* (): Coro<void> {
          try {
            yield* sleep(0);
            log.add("not cancelled");
          } catch (error) {
            log.add(error instanceof CancelledError ? "cancelled at the sleep" : "other error");
            throw error;
          }
        })(),
      );
      yield* sleep(0); // it waits at its sleep(0) now
      waiter.cancel();
      yield* caught(waiter);
      return own;
    });
    expect(value).toBe("own task");
    expect(log.events).toEqual(["cancelled at the sleep"]);
  });

  it("stops its timer when cancelled, so time does not run on to its deadline", async () => {
    const { clock } = await runVirtual(function* () {
      const task = createTask(sleep(3_600_000));
      yield* sleep(10);
      task.cancel();
      yield* caught(task);
    });
    expect(clock.now()).toBe(10);
  });

  it("can be awaited from async code", async () => {
    const { value } = await runVirtual(function* () {
      return yield* createTask(async () => {
        const v = await sleep(20, "async");
        return `${v} at ${getRunningLoop().time()}`;
      });
    });
    expect(value).toBe("async at 20");
  });

  it("refuses a delay that is not a number", () => {
    expect(() => sleep("10" as never)).toThrow(/sleep expects a delay in milliseconds, got the string "10"/);
    expect(() => sleep(Number.NaN)).toThrow(TypeError);
  });

  it("runs a coroutine handed to both yield* and await only once", async () => {
    const log = new Log();
    await runVirtual(function* () {
      function* once(): Coro<number> {
        log.add("ran");
        yield* sleep(1);
        return 1;
      }
      const task = createTask(once());
      yield* task;
    });
    expect(log.events).toEqual(["ran"]);
  });
});
