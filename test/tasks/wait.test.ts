import { describe, expect, it } from "vitest";
import { ALL_COMPLETED, type Coro, FIRST_COMPLETED, FIRST_EXCEPTION, ValueError, createTask, sleep, wait } from "../../src/index.js";
import { runV, runVirtual } from "../support/harness.js";

function* value<T>(ms: number, result: T): Coro<T> {
  yield* sleep(ms);
  return result;
}

function* fail(ms: number): Coro<never> {
  yield* sleep(ms);
  throw new Error(`failed at ${ms}`);
}

describe("wait", () => {
  it("waits for all by default and returns them as done", async () => {
    const { value: counts, clock } = await runVirtual(function* () {
      const tasks = [createTask(value(10, 1)), createTask(value(30, 2))];
      const [done, pending] = yield* wait(tasks);
      return [done.size, pending.size];
    });
    expect(counts).toEqual([2, 0]);
    expect(clock.now()).toBe(30);
  });

  it("returns at the first completion with FIRST_COMPLETED, cancelling nothing", async () => {
    await runV(function* () {
      const fast = createTask(value(10, "fast"));
      const slow = createTask(value(50, "slow"));
      const [done, pending] = yield* wait([fast, slow], { returnWhen: FIRST_COMPLETED });
      // Compared by identity: equality matchers would iterate a pending future.
      expect(done.size === 1 && done.has(fast)).toBe(true);
      expect(pending.size === 1 && pending.has(slow)).toBe(true);
      expect(slow.cancelled()).toBe(false);
      yield* slow;
    });
  });

  it("returns at the first error with FIRST_EXCEPTION, or when all finish", async () => {
    const { clock } = await runVirtual(function* () {
      const ok = createTask(value(10, "ok"));
      const bad = createTask(fail(20));
      const slow = createTask(value(100, "slow"));
      const [done, pending] = yield* wait([ok, bad, slow], { returnWhen: FIRST_EXCEPTION });
      expect(done.size === 2 && done.has(ok) && done.has(bad)).toBe(true);
      expect(pending.size === 1 && pending.has(slow)).toBe(true);
      bad.exception();
      const [allDone] = yield* wait([createTask(value(5, 1))], { returnWhen: FIRST_EXCEPTION });
      expect(allDone.size).toBe(1);
      slow.cancel();
    });
    expect(clock.now()).toBe(25);
  });

  it("returns what is unfinished as pending when the timeout passes, without raising", async () => {
    const { clock } = await runVirtual(function* () {
      const slow = createTask(value(1000, "slow"));
      const [done, pending] = yield* wait([slow], { timeout: 100, returnWhen: ALL_COMPLETED });
      expect(done.size).toBe(0);
      expect(pending.has(slow)).toBe(true);
      expect(slow.done()).toBe(false);
      slow.cancel();
    });
    expect(clock.now()).toBe(100);
  });

  it("accepts promises and returns their futures", async () => {
    await runV(function* () {
      const [done] = yield* wait([Promise.resolve(1)]);
      expect([...done][0]!.result()).toBe(1);
    });
  });

  it("refuses coroutines, an empty set, a bad returnWhen, and a single future", async () => {
    await runV(function* () {
      expect(() => wait([value(1, 1)] as never)).toThrow(/Passing coroutines to wait\(\) is forbidden/);
      expect(() => wait([])).toThrow(ValueError);
      expect(() => wait([createTask(sleep(1))], { returnWhen: "SOMETIMES" as never })).toThrow(/Invalid returnWhen/);
      expect(() => wait(createTask(sleep(1)) as never)).toThrow(/iterable of futures/);
      expect(() => wait([5 as never])).toThrow(/expects futures, tasks or promises, got number 5/);
      yield* sleep(2);
    });
  });
});
