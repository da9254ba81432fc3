import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  RuntimeError,
  Timeout,
  TimeoutError,
  createTask,
  currentTask,
  getRunningLoop,
  sleep,
  timeout,
  timeoutAt,
} from "../../src/index.js";
import { Log, caught, runV, runVirtual } from "../support/harness.js";

// Modelled on CPython's Lib/test/test_asyncio/test_timeouts.py.

describe("timeout", () => {
  it("returns the body's value when it finishes in time", async () => {
    await runV(function* () {
      expect(
        yield* timeout(100, function* (scope) {
          yield* sleep(10);
          expect(scope.expired()).toBe(false);
          return "in time";
        }),
      ).toBe("in time");
    });
  });

  it("cancels the body at its yield* and throws TimeoutError when the deadline passes", async () => {
    const log = new Log();
    let scope: Timeout | undefined;
    const { clock } = await runVirtual(function* () {
      const error = yield* caught(
        timeout(50, function* (s) {
          scope = s;
          try {
            yield* sleep(1000);
          } catch (e) {
            log.add(`body got ${(e as Error).name}`);
            throw e;
          }
        }),
      );
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).cause).toBeInstanceOf(CancelledError);
      expect(currentTask()!.cancelling()).toBe(0);
    });
    expect(log.events).toEqual(["body got CancelledError"]);
    expect(scope!.expired()).toBe(true);
    expect(clock.now()).toBe(50);
  });

  it("knows its deadline and can move it", async () => {
    const { clock } = await runVirtual(function* () {
      const loop = getRunningLoop();
      yield* timeout(100, function* (scope) {
        expect(scope.when()).toBe(loop.time() + 100);
        scope.reschedule(loop.time() + 300);
        yield* sleep(200); // past the first deadline, within the new one
        scope.reschedule(null);
        expect(scope.when()).toBeNull();
        yield* sleep(1000);
      });
    });
    expect(clock.now()).toBe(1200);
  });

  it("expires at once when rescheduled into the past", async () => {
    await runV(function* () {
      const error = yield* caught(
        timeout(1000, function* (scope) {
          scope.reschedule(getRunningLoop().time() - 1);
          yield* sleep(10);
        }),
      );
      expect(error).toBeInstanceOf(TimeoutError);
    });
  });

  it("never expires with null", async () => {
    const { clock } = await runVirtual(function* () {
      yield* timeout(null, function* () {
        yield* sleep(10_000_000);
      });
    });
    expect(clock.now()).toBe(10_000_000);
  });

  it("nested: the inner scope expires and the outer carries on", async () => {
    await runV(function* () {
      const result = yield* timeout(1000, function* (outer) {
        const inner = yield* caught(
          timeout(10, function* () {
            yield* sleep(100);
          }),
        );
        expect(inner).toBeInstanceOf(TimeoutError);
        expect(outer.expired()).toBe(false);
        yield* sleep(10);
        return "outer finished";
      });
      expect(result).toBe("outer finished");
    });
  });

  it("nested: when the outer expires first, only the outer raises TimeoutError", async () => {
    await runV(function* () {
      const log = new Log();
      const error = yield* caught(
        timeout(10, function* () {
          try {
            yield* timeout(1000, function* () {
              yield* sleep(100);
            });
          } catch (e) {
            log.add(`inner scope let through ${(e as Error).name}`);
            throw e;
          }
        }),
      );
      expect(error).toBeInstanceOf(TimeoutError);
      expect(log.events).toEqual(["inner scope let through CancelledError"]);
    });
  });

  it("lets an outside cancellation through as CancelledError, even after expiring", async () => {
    await runV(function* () {
      const task = createTask(
        timeout(10, function* () {
          try {
            yield* sleep(100);
          } finally {
            yield* sleep(50); // still cleaning up when the outside cancel arrives
          }
        }),
      );
      yield* sleep(20);
      task.cancel();
      expect(yield* caught(task)).toBeInstanceOf(CancelledError);
    });
  });

  it("lets the task go on normally after catching the TimeoutError", async () => {
    await runV(function* () {
      yield* caught(
        timeout(1, function* () {
          yield* sleep(10);
        }),
      );
      yield* sleep(10); // would throw if a cancel request were left over
      expect(currentTask()!.cancelling()).toBe(0);
    });
  });

  it("does not convert an error the body raises instead of the cancellation", async () => {
    await runV(function* () {
      const error = yield* caught(
        timeout(1, function* () {
          try {
            yield* sleep(10);
          } catch {
            throw new SyntaxError("replaced");
          }
        }),
      );
      expect(error).toBeInstanceOf(SyntaxError);
    });
  });

  it("takes an absolute deadline with timeoutAt, and a coroutine as body", async () => {
    const { clock } = await runVirtual(function* () {
      const deadline = getRunningLoop().time() + 25;
      expect(yield* caught(timeoutAt(deadline, sleep(100)))).toBeInstanceOf(TimeoutError);
    });
    expect(clock.now()).toBe(25);
  });

  it("refuses to reschedule once expired, and refuses a bad body or delay", async () => {
    await runV(function* () {
      let scope: Timeout | undefined;
      yield* caught(
        timeout(1, function* (s) {
          scope = s;
          yield* sleep(10);
        }),
      );
      expect(() => scope!.reschedule(100)).toThrow(/^Cannot change state of expired Timeout/);
      expect(() => new Timeout(null).reschedule(5)).toThrow(/^Timeout has not been entered/); // asyncio 3.13
      let exited: Timeout | undefined;
      yield* timeout(100, function* (s) {
        exited = s;
      });
      expect(() => exited!.reschedule(5)).toThrow(/^Cannot change state of exited Timeout/);
      expect(() => timeout(10, 5 as never)).toThrow(/generator function/);
      expect(() => timeout("10" as never, sleep(1))).toThrow(/milliseconds or null/);
    });
  });

  it("counts a relative deadline from the scope's entry, not from the call that made it", async () => {
    const { value } = await runVirtual(function* (): Coro<(number | null)[]> {
      const loop = getRunningLoop();
      const relative = timeout(100, function* (scope: Timeout): Coro<number | null> {
        return scope.when();
      });
      const absolute = timeoutAt(150, function* (scope: Timeout): Coro<number | null> {
        return scope.when();
      });
      yield* sleep(30);
      expect(loop.time()).toBe(30);
      return [yield* relative, yield* absolute];
    });
    expect(value).toEqual([130, 150]);
  });

  it("must run inside a task", () => {
    expect(() => timeout(10, sleep(1)).next()).toThrow(RuntimeError);
  });

  it("works from async code through await", async () => {
    const { value } = await runVirtual(function* (): Coro<string> {
      return yield* createTask(async () => {
        try {
          await timeout(10, sleep(100));
          return "no timeout";
        } catch (e) {
          return e instanceof TimeoutError ? "timed out" : "other";
        }
      });
    });
    expect(value).toBe("timed out");
  });
});
