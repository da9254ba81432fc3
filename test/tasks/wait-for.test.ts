import { describe, expect, it } from "vitest";
import { CancelledError, type Coro, TimeoutError, createTask, currentTask, getRunningLoop, sleep, waitFor } from "../../src/index.js";
import { Log, caught, runV, runVirtual } from "../support/harness.js";

describe("waitFor", () => {
  it("returns the result when it comes in time", async () => {
    const { value, clock } = await runVirtual(function* () {
      return yield* waitFor(sleep(10, "in time"), 100);
    });
    expect(value).toBe("in time");
    expect(clock.now()).toBe(10);
  });

  it("cancels the inner on timeout, waits for it to unwind, then throws TimeoutError", async () => {
    const log = new Log();
    const { clock } = await runVirtual(function* () {
      const loop = getRunningLoop();
      function* slow(): Coro<void> {
        try {
          yield* sleep(1000);
        } finally {
          yield* sleep(30);
          log.add(`inner unwound at ${loop.time()}`);
        }
      }
      const error = yield* caught(waitFor(slow(), 100));
      log.add(`waitFor threw at ${loop.time()}`);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).cause).toBeInstanceOf(CancelledError);
      expect(currentTask()!.cancelling()).toBe(0);
    });
    expect(log.events).toEqual(["inner unwound at 130", "waitFor threw at 130"]);
    expect(clock.now()).toBe(130);
  });

  it("returns the inner's value when it swallows the cancellation", async () => {
    await runV(function* () {
      function* stubborn(): Coro<string> {
        try {
          yield* sleep(1000);
          return "slept";
        } catch {
          return "swallowed";
        }
      }
      expect(yield* waitFor(stubborn(), 10)).toBe("swallowed");
    });
  });

  it("with a timeout of 0 returns a done future's result, and times out a pending one", async () => {
    await runV(function* () {
      const done = getRunningLoop().createFuture<number>();
      done.setResult(3);
      expect(yield* waitFor(done, 0)).toBe(3);
      const pending = createTask(sleep(100));
      expect(yield* caught(waitFor(pending, 0))).toBeInstanceOf(TimeoutError);
      expect(pending.cancelled()).toBe(true);
    });
  });

  it("waits forever with a null timeout", async () => {
    const { clock } = await runVirtual(function* () {
      return yield* waitFor(sleep(86_400_000, "a day"), null);
    });
    expect(clock.now()).toBe(86_400_000);
  });

  it("passes the inner's own error through", async () => {
    await runV(function* () {
      function* fails(): Coro<never> {
        yield* sleep(1);
        throw new RangeError("inner error");
      }
      expect(yield* caught(waitFor(fails(), 100))).toBeInstanceOf(RangeError);
    });
  });

  it("cancels the inner when the waiting task is cancelled, and raises CancelledError, not TimeoutError", async () => {
    await runV(function* () {
      const inner = createTask(sleep(1000));
      const outer = createTask(waitFor(inner, 500));
      yield* sleep(10);
      outer.cancel();
      expect(yield* caught(outer)).toBeInstanceOf(CancelledError);
      expect(inner.cancelled()).toBe(true);
    });
  });

  it("times out when the inner would finish at the deadline, since the deadline was set first", async () => {
    await runV(function* () {
      expect(yield* caught(waitFor(sleep(100, "photo finish"), 100))).toBeInstanceOf(TimeoutError);
    });
  });

  it("gives the result when the future is resolved by a timer before the deadline (race)", async () => {
    await runV(function* () {
      const loop = getRunningLoop();
      const future = loop.createFuture<string>();
      loop.callLater(100, () => future.setResult("ok"));
      expect(yield* waitFor(future, 200)).toBe("ok");
    });
  });

  it("nests: the inner waitFor times out without the outer one noticing", async () => {
    await runV(function* () {
      const result = yield* waitFor(
        (function* (): Coro<string> {
          try {
            yield* waitFor(sleep(1000), 10);
            return "not reached";
          } catch (e) {
            return e instanceof TimeoutError ? "inner timed out" : "other";
          }
        })(),
        500,
      );
      expect(result).toBe("inner timed out");
    });
  });

  it("wraps a promise, and an async function whose signal aborts on timeout", async () => {
    const log = new Log();
    await runV(function* () {
      expect(yield* waitFor(Promise.resolve("promise"), 10)).toBe("promise");
      const error = yield* caught(
        waitFor(async (signal: AbortSignal) => {
          await new Promise((_, reject) =>
            signal.addEventListener("abort", () => {
              log.add("aborted");
              reject(signal.reason);
            }),
          );
        }, 10),
      );
      expect(error).toBeInstanceOf(TimeoutError);
    });
    expect(log.events).toEqual(["aborted"]);
  });

  it("counts the deadline from its first step, not from the call that made it", async () => {
    const { value, clock } = await runVirtual(function* () {
      const made = waitFor(sleep(50, "in time"), 100); // made at 0, started at 80: the deadline is 180
      yield* sleep(80);
      return yield* made;
    });
    expect(value).toBe("in time");
    expect(clock.now()).toBe(130);
  });

  it("is awaitable from async code around a coroutine of the user's (which has no then), with and without a limit", async () => {
    const { value } = await runVirtual(function* (): Coro<unknown[]> {
      function* mine(ms: number): Coro<string> {
        yield* sleep(ms);
        return `slept ${ms}`;
      }
      return yield* createTask(async () => {
        const results: unknown[] = [await waitFor(mine(5), 100), await waitFor(mine(5), null)];
        try {
          await waitFor(mine(500), 10);
        } catch (error) {
          results.push(error instanceof TimeoutError ? "timed out" : error);
        }
        return results;
      });
    });
    expect(value).toEqual(["slept 5", "slept 5", "timed out"]);
  });

  it("refuses a timeout that is not a number", () => {
    expect(() => waitFor(sleep(1), "5" as never)).toThrow(/waitFor expects a timeout in milliseconds/);
  });
});
