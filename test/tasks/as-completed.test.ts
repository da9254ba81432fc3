import { describe, expect, it } from "vitest";
import { type Coro, type Future, type Task, TimeoutError, asCompleted, createTask, getRunningLoop, sleep } from "../../src/index.js";
import { caught, runV, runVirtual } from "../support/harness.js";

function* value<T>(ms: number, result: T): Coro<T> {
  yield* sleep(ms);
  return result;
}

describe("asCompleted", () => {
  it("gives results in the order they finish", async () => {
    const { value: order, clock } = await runVirtual(function* () {
      const order: string[] = [];
      for (const next of asCompleted([value(30, "c"), value(10, "a"), value(20, "b")])) {
        order.push(yield* next);
      }
      return order;
    });
    expect(order).toEqual(["a", "b", "c"]);
    expect(clock.now()).toBe(30);
  });

  it("throws TimeoutError for every wait still outstanding at the timeout", async () => {
    await runV(function* () {
      const outcomes: string[] = [];
      const slow = createTask(value(1000, "slow"));
      for (const next of asCompleted([value(10, "fast"), slow], { timeout: 100 })) {
        try {
          outcomes.push(yield* next);
        } catch (error) {
          outcomes.push(error instanceof TimeoutError ? "timeout" : "other");
        }
      }
      expect(outcomes).toEqual(["fast", "timeout"]);
      expect(slow.cancelled()).toBe(false); // like asyncio, it does not cancel
      slow.cancel();
    });
  });

  it("passes errors through from the awaitable that failed", async () => {
    await runV(function* () {
      function* fails(): Coro<never> {
        yield* sleep(5);
        throw new RangeError("failed");
      }
      const [first] = asCompleted([fails()]);
      expect(yield* caught(first!)).toBeInstanceOf(RangeError);
    });
  });

  it("gives the original tasks as they finish to for await", async () => {
    const { value: names } = await runVirtual(function* () {
      const tasks = [createTask(value(20, "late"), { name: "late" }), createTask(value(10, "early"), { name: "early" })];
      return yield* createTask(async () => {
        const seen: string[] = [];
        for await (const task of asCompleted(tasks)) {
          expect(tasks).toContain(task);
          seen.push(`${(task as unknown as { getName(): string }).getName()}=${(task as Future<string>).result()}`);
        }
        return seen;
      });
    });
    expect(names).toEqual(["early=early", "late=late"]);
  });

  it("hands results to several waiters at once in finishing order", async () => {
    await runV(function* () {
      const nexts = [...asCompleted([value(20, 2), value(10, 1)])];
      const waiters = nexts.map((next) => createTask(next));
      expect([yield* waiters[0]!, yield* waiters[1]!]).toEqual([1, 2]);
    });
  });

  it("passes a result on when its waiter is cancelled", async () => {
    await runV(function* () {
      const [first, second] = [...asCompleted([value(10, "only")])].concat([...asCompleted([value(30, "other")])]);
      const cancelled = createTask(first!);
      yield* sleep(1);
      cancelled.cancel();
      yield* caught(cancelled);
      expect(yield* second!).toBe("other");
    });
  });

  it("yields nothing for an empty input and refuses a non-iterable", async () => {
    await runV(function* () {
      expect([...asCompleted([])]).toEqual([]);
      expect(() => asCompleted(createTask(sleep(1)) as never)).toThrow(/iterable of awaitables/);
      yield* sleep(1);
    });
  });
});

describe("asCompleted with several waiting tasks", () => {
  // asyncio's iterator waits in a Queue.get(): a waiter cancelled before it was woken
  // passes no wake-up on, so the waiters behind it keep their places.
  it("keeps the waiters' order when one that was never woken is cancelled as a result comes in", async () => {
    const order = await runV(function* () {
      const order: string[] = [];
      const first = createTask(value(10, 1));
      let c: Task<void> | null = null;
      // Runs before asCompleted's own callback on `first`: c is cancelled just before 1 is there.
      first.addDoneCallback(() => c!.cancel());
      const next = [...asCompleted([first, value(20, 2), value(30, 3), value(40, 4)])];
      const waiter = (name: string, wait: Coro<number>): Task<void> =>
        createTask(
          (function* (): Coro<void> {
            order.push(`${name} got ${yield* wait}`);
          })(),
        );
      const tasks = [waiter("a", next[0]!), waiter("b", next[1]!), (c = waiter("c", next[2]!)), waiter("d", next[3]!)];
      yield* sleep(50);
      expect(tasks.map((task) => task.done())).toEqual([true, true, true, true]);
      return order;
    });
    expect(order).toEqual(["a got 1", "b got 2", "d got 3"]); // as asyncio 3.11 prints for the same program
  });

  it("passes the result on from a waiter woken for it and cancelled before it ran", async () => {
    const order = await runV(function* () {
      const order: string[] = [];
      const first = createTask(value(10, 1));
      const next = [...asCompleted([first, value(20, 2)])];
      let a: Task<void> | null = null;
      // Runs after asCompleted's own callback on `first`: a has just been woken for 1.
      first.addDoneCallback(() => a!.cancel());
      const waiter = (name: string, wait: Coro<number>): Task<void> =>
        createTask(
          (function* (): Coro<void> {
            const got = yield* wait;
            order.push(`${name} got ${got} at ${getRunningLoop().time()}`);
          })(),
        );
      a = waiter("a", next[0]!);
      const b = waiter("b", next[1]!);
      yield* sleep(50);
      expect(a.cancelled() && b.done()).toBe(true);
      return order;
    });
    expect(order).toEqual(["b got 1 at 10"]); // at once, not when 2 comes in (asyncio 3.11 prints "b got 1" too)
  });
});
