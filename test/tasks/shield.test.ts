import { describe, expect, it } from "vitest";
import { CancelledError, type Coro, createTask, getRunningLoop, shield, sleep } from "../../src/index.js";
import { caught, runV, runVirtual } from "../support/harness.js";

function* value<T>(ms: number, result: T): Coro<T> {
  yield* sleep(ms);
  return result;
}

describe("shield", () => {
  it("keeps the inner running when the waiting task is cancelled", async () => {
    await runV(function* () {
      const inner = createTask(value(100, "saved"));
      const waiter = createTask(
        (function* (): Coro<string> {
          return yield* shield(inner);
        })(),
      );
      yield* sleep(10);
      waiter.cancel();
      expect(yield* caught(waiter)).toBeInstanceOf(CancelledError);
      expect(inner.cancelled()).toBe(false);
      expect(yield* inner).toBe("saved");
    });
  });

  it("passes on the inner's result and error", async () => {
    await runV(function* () {
      expect(yield* shield(value(5, 1))).toBe(1);
      function* fails(): Coro<never> {
        yield* sleep(1);
        throw new SyntaxError("inner error");
      }
      expect(yield* caught(shield(fails()))).toBeInstanceOf(SyntaxError);
    });
  });

  it("is cancelled when the inner is cancelled", async () => {
    await runV(function* () {
      const inner = createTask(sleep(100));
      const outer = shield(inner);
      inner.cancel();
      expect(yield* caught(outer)).toBeInstanceOf(CancelledError);
      expect(outer.cancelled()).toBe(true);
    });
  });

  it("returns an inner that is already done as it is", async () => {
    await runV(function* () {
      const done = getRunningLoop().createFuture<number>();
      done.setResult(1);
      expect(shield(done)).toBe(done);
    });
  });

  it("marks the inner's error retrieved when the outer was cancelled", async () => {
    const { reported } = await runVirtual(function* () {
      function* fails(): Coro<never> {
        yield* sleep(10);
        throw new Error("nobody waits for this");
      }
      const inner = createTask(fails());
      const outer = shield(inner);
      outer.cancel();
      yield* sleep(20);
      expect(inner.done()).toBe(true);
    });
    // asyncio: the outer's done callback detached the inner's callback, so the
    // inner's error is reported as never retrieved — it does not vanish.
    expect(reported.map((r) => r.message)).toEqual(["Task exception was never retrieved"]);
  });
});
