import { describe, expect, it } from "vitest";
import { CancelledError, EventLoop, Future, InvalidStateError, ensureFuture, getRunningLoop, sleep } from "../../src/index.js";
import { Log, runV, runVirtual } from "../support/harness.js";

describe("Future", () => {
  it("starts pending and refuses result() and exception() until done", async () => {
    await runV(function* () {
      const future = getRunningLoop().createFuture<number>();
      expect(future.done()).toBe(false);
      expect(() => future.result()).toThrow(InvalidStateError);
      expect(() => future.exception()).toThrow(/still pending/);
    });
  });

  it("keeps a result and refuses a second outcome with InvalidStateError", async () => {
    await runV(function* () {
      const future = getRunningLoop().createFuture<number>();
      future.setResult(7);
      expect(future.done()).toBe(true);
      expect(future.result()).toBe(7);
      expect(future.exception()).toBeUndefined();
      expect(() => future.setResult(8)).toThrow(InvalidStateError);
      expect(() => future.setException(new Error("x"))).toThrow(/already finished/);
      expect(future.cancel()).toBe(false);
    });
  });

  it("raises its exception from result() and returns it from exception()", async () => {
    await runV(function* () {
      const future = getRunningLoop().createFuture<number>();
      const error = new Error("bad");
      future.setException(error);
      expect(() => future.result()).toThrow(error);
      expect(future.exception()).toBe(error);
      expect(() => future.setException(undefined)).toThrow(InvalidStateError);
    });
  });

  it("refuses undefined as an exception, since it cannot be told apart from success", async () => {
    await runV(function* () {
      expect(() => getRunningLoop().createFuture().setException(undefined)).toThrow(TypeError);
    });
  });

  it("cancels once, with a message that result() raises", async () => {
    await runV(function* () {
      const future = getRunningLoop().createFuture<number>();
      expect(future.cancel("stop")).toBe(true);
      expect(future.cancel()).toBe(false);
      expect(future.cancelled()).toBe(true);
      expect(() => future.result()).toThrow(CancelledError);
      expect(() => future.exception()).toThrow("stop");
      expect(() => future.setResult(1)).toThrow(/already cancelled/);
    });
  });

  it("schedules done callbacks on the loop, never synchronously", async () => {
    const log = new Log();
    await runV(function* () {
      const future = getRunningLoop().createFuture<string>();
      future.addDoneCallback((f) => log.add(`callback ${f.result()}`));
      future.setResult("x");
      log.add("after setResult");
      future.addDoneCallback(() => log.add("added after done"));
      log.add("after addDoneCallback");
      yield* sleep(0);
    });
    expect(log.events).toEqual(["after setResult", "after addDoneCallback", "callback x", "added after done"]);
  });


  it("calls its internal end listener once, synchronously, when it is done; an error there reaches the exception handler", async () => {
    const log = new Log();
    const reported: unknown[] = [];
    await runV(function* () {
      const loop = getRunningLoop();
      loop.setExceptionHandler((_loop, context) => reported.push(context.exception));
      const future = loop.createFuture<string>();
      future.addDoneCallback(() => log.add("callback"));
      future._onEnd((f) => log.add(`end listener sees ${f.result()}`));
      future.setResult("x");
      log.add("after setResult");
      yield* sleep(0);
      const failing = loop.createFuture<string>();
      failing._onEnd(() => {
        throw new RangeError("listener broke");
      });
      failing.cancel();
      expect(failing.cancelled()).toBe(true);
    });
    expect(log.events).toEqual(["end listener sees x", "after setResult", "callback"]);
    expect(reported).toEqual([new RangeError("listener broke")]);
  });
  it("removes every registration of a callback and returns how many", async () => {
    const log = new Log();
    await runV(function* () {
      const future = getRunningLoop().createFuture<void>();
      const a = () => log.add("a");
      const b = () => log.add("b");
      future.addDoneCallback(a);
      future.addDoneCallback(b);
      future.addDoneCallback(a);
      expect(future.removeDoneCallback(a)).toBe(2);
      expect(future.removeDoneCallback(a)).toBe(0);
      future.setResult();
      yield* sleep(0);
    });
    expect(log.events).toEqual(["b"]);
  });

  it("removes a lone callback, keeps a lone other one, and calls both of two in order", async () => {
    // One callback is stored without an array; the second turns it into one.
    const log = new Log();
    await runV(function* () {
      const loop = getRunningLoop();
      const lone = loop.createFuture<void>();
      const other = () => log.add("other");
      lone.addDoneCallback(() => log.add("never"));
      expect(lone.removeDoneCallback(other)).toBe(0);
      const only = () => log.add("only");
      const single = loop.createFuture<void>();
      single.addDoneCallback(only);
      expect(single.removeDoneCallback(only)).toBe(1);
      expect(single.removeDoneCallback(only)).toBe(0);
      single.setResult();
      const two = loop.createFuture<void>();
      two.addDoneCallback(() => log.add("first"));
      two.addDoneCallback(() => log.add("second"));
      two.setResult();
      yield* sleep(0);
      expect(log.events).toEqual(["first", "second"]);
      lone.setResult();
      yield* sleep(0);
    });
    expect(log.events).toEqual(["first", "second", "never"]);
  });

  it("returns at once from yield* when already done, without giving up the iteration", async () => {
    const log = new Log();
    await runV(function* () {
      const loop = getRunningLoop();
      const future = loop.createFuture<number>();
      future.setResult(5);
      loop.callSoon(() => log.add("other callback"));
      const value = yield* future;
      log.add(`got ${value}`);
      yield* sleep(0);
    });
    expect(log.events).toEqual(["got 5", "other callback"]);
  });

  it("can be awaited from async code: resolves, rejects, and rejects with CancelledError", async () => {
    await runV(function* () {
      const loop = getRunningLoop();
      const ok = loop.createFuture<number>();
      const bad = loop.createFuture<number>();
      const cancelled = loop.createFuture<number>();
      const results = Promise.allSettled([ok, bad, cancelled].map(async (f) => await f));
      ok.setResult(1);
      bad.setException(new Error("no"));
      cancelled.cancel("gone");
      const [a, b, c] = (yield* ensureFuture(results)) as PromiseSettledResult<number>[];
      expect(a).toEqual({ status: "fulfilled", value: 1 });
      expect((b as PromiseRejectedResult).reason.message).toBe("no");
      expect((c as PromiseRejectedResult).reason).toBeInstanceOf(CancelledError);
      expect((c as PromiseRejectedResult).reason.message).toBe("gone");
    });
  });

  it("reports an exception nobody retrieved when the loop closes", async () => {
    const { reported } = await runVirtual(function* () {
      getRunningLoop().createFuture().setException(new Error("lost"));
      const retrieved = getRunningLoop().createFuture();
      retrieved.setException(new Error("seen"));
      retrieved.exception();
    });
    expect(reported).toHaveLength(1);
    expect(reported[0]!.message).toBe("Future exception was never retrieved");
    expect((reported[0]!.exception as Error).message).toBe("lost");
  });

  it("needs a running loop or an explicit one", () => {
    expect(() => new Future()).toThrow(/no running event loop/);
    const loop = new EventLoop();
    expect(new Future(loop).getLoop()).toBe(loop);
    loop.close();
  });

  it("refuses a non-function done callback", async () => {
    await runV(function* () {
      expect(() => getRunningLoop().createFuture().addDoneCallback(42 as never)).toThrow(/expects a function, got number 42/);
    });
  });
});

