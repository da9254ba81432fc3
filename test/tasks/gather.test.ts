import { describe, expect, it } from "vitest";
import { CancelledError, type Coro, allTasks, createTask, currentTask, gather, getRunningLoop, sleep } from "../../src/index.js";
import { Log, caught, runV, runVirtual } from "../support/harness.js";

function* value<T>(ms: number, result: T): Coro<T> {
  yield* sleep(ms);
  return result;
}

function* fail(ms: number, message: string): Coro<never> {
  yield* sleep(ms);
  throw new Error(message);
}

describe("gather", () => {
  it("returns results in argument order, not completion order, running concurrently", async () => {
    const { value: results, clock } = await runVirtual(function* () {
      return yield* gather(value(30, "a"), value(10, 2), Promise.resolve(true), createTask(value(20, "task")));
    });
    expect(results).toEqual(["a", 2, true, "task"]);
    expect(clock.now()).toBe(30);
  });

  it("throws the first error while the other children keep running", async () => {
    await runV(function* () {
      const slow = createTask(value(100, "slow"));
      const error = yield* caught(gather(fail(10, "first"), fail(20, "second"), slow));
      expect((error as Error).message).toBe("first");
      expect(slow.done()).toBe(false);
      expect(yield* slow).toBe("slow");
    });
  });

  it("puts errors in the result list with returnExceptions", async () => {
    await runV(function* () {
      const results = yield* gather(value(10, 1), fail(5, "bad"), { returnExceptions: true });
      expect(results[0]).toBe(1);
      expect((results[1] as unknown as Error).message).toBe("bad");
    });
  });

  it("cancels every child when cancelled, and ends cancelled", async () => {
    await runV(function* () {
      const a = createTask(sleep(100));
      const b = createTask(sleep(200));
      const outer = gather(a, b);
      yield* sleep(10);
      expect(outer.cancel("stop all")).toBe(true);
      const error = yield* caught(outer);
      expect(error).toBeInstanceOf(CancelledError);
      expect(a.cancelled() && b.cancelled()).toBe(true);
    });
  });

  it("propagates the cancel of the task waiting on it to the children", async () => {
    await runV(function* () {
      const children = [createTask(sleep(100)), createTask(sleep(100))];
      const waiter = createTask(
        (function* (): Coro<void> {
          yield* gather(...children);
        })(),
      );
      yield* sleep(1);
      waiter.cancel();
      yield* caught(waiter);
      expect(children.every((c) => c.cancelled())).toBe(true);
    });
  });

  it("ends cancelled when cancelled, even with returnExceptions", async () => {
    await runV(function* () {
      const outer = gather(sleep(100), sleep(100), { returnExceptions: true });
      yield* sleep(1);
      outer.cancel();
      expect(yield* caught(outer)).toBeInstanceOf(CancelledError);
    });
  });

  it("raises CancelledError when a child is cancelled on its own, or lists it with returnExceptions", async () => {
    await runV(function* () {
      const child = createTask(sleep(100));
      const outer = gather(child, value(10, "ok"));
      child.cancel();
      expect(yield* caught(outer)).toBeInstanceOf(CancelledError);

      const other = createTask(sleep(100));
      const listing = gather(other, value(10, "ok"), { returnExceptions: true });
      other.cancel("own reason");
      const results = yield* listing;
      expect(results[0]).toBeInstanceOf(CancelledError);
      expect((results[0] as unknown as Error).message).toBe("own reason");
      expect(results[1]).toBe("ok");
    });
  });

  it("returns an empty list at once for no arguments", async () => {
    await runV(function* () {
      const outer = gather();
      expect(outer.done()).toBe(true);
      expect(yield* outer).toEqual([]);
    });
  });

  it("waits for a repeated argument once and repeats its result", async () => {
    await runV(function* () {
      const task = createTask(value(5, "same"));
      expect(yield* gather(task, task, value(1, "other"))).toEqual(["same", "same", "other"]);
    });
  });

  it("runs a coroutine given twice as one task", async () => {
    const log = new Log();
    await runV(function* () {
      function* once(): Coro<string> {
        log.add("ran");
        yield* sleep(1);
        return "x";
      }
      const coro = once();
      expect(yield* gather(coro, coro)).toEqual(["x", "x"]);
    });
    expect(log.events).toEqual(["ran"]);
  });

  // A few arguments are compared with those before them, many are hashed: both ways.
  it.each([0, 40])("runs each coroutine once however often and wherever it repeats, and orders the results as the arguments (%i more)", async (more) => {
    const log = new Log();
    await runV(function* () {
      function* named(name: string, ms: number): Coro<string> {
        log.add(name);
        yield* sleep(ms);
        return name;
      }
      const [a, b, c, d] = [named("a", 3), named("b", 1), named("c", 2), named("d", 1)];
      const others = Array.from({ length: more }, (_, i) => named(`o${i}`, 1));
      const before = allTasks().size;
      const outer = gather(a, b, ...others, a, c, b, a, d, c);
      expect(allTasks().size).toBe(before + 4 + more);
      const names = others.map((_, i) => `o${i}`);
      expect(yield* outer).toEqual(["a", "b", ...names, "a", "c", "b", "a", "d", "c"]);
    });
    expect(log.events).toEqual(["a", "b", ...Array.from({ length: more }, (_, i) => `o${i}`), "c", "d"]);
  });

  it("raises a repeated failing child's error once and leaves nothing unretrieved", async () => {
    const { reported } = await runVirtual(function* () {
      const task = createTask(fail(1, "boom"));
      const error = yield* caught(gather(task, task, value(5, "late")));
      expect((error as Error).message).toBe("boom");
      yield* sleep(10);
    });
    expect(reported).toEqual([]);
  });

  it("refuses a bad argument with a TypeError and leaves no task running", async () => {
    const log = new Log();
    await runV(function* () {
      const before = allTasks().size;
      function* sideEffect(): Coro<void> {
        log.add("ran");
      }
      expect(() => gather(sideEffect(), 42 as never)).toThrow(/awaitable was expected.*number 42/);
      yield* sleep(1);
      expect(allTasks().size).toBe(before);
      expect(currentTask()).not.toBeNull();
    });
    expect(log.events).toEqual([]);
  });

  it.each([0, 40])("stops each task it made once when a later argument is bad, a repeated coroutine's included, and leaves a given task alone (%i more)", async (more) => {
    await runV(function* () {
      const given = createTask(sleep(5, "given"));
      function* twice(): Coro<void> {
        yield* sleep(1);
      }
      const coro = twice();
      const others = Array.from({ length: more }, () => twice());
      const before = allTasks().size;
      expect(() => gather(given, coro, ...others, coro, [] as never)).toThrow(/separate arguments/);
      const made = [...allTasks()].filter((task) => task !== given && task.getCoro() === coro);
      expect(allTasks().size).toBe(before + 1 + more); // one task for the coroutine given twice
      expect(made).toHaveLength(1);
      expect(made[0]!.cancelling()).toBe(1); // cancelled once, not once per occurrence
      yield* sleep(0);
      expect(made[0]!.cancelled()).toBe(true);
      expect(yield* given).toBe("given");
    });
  });

  it("can be awaited from async code", async () => {
    const { value: results } = await runVirtual(function* () {
      return yield* createTask(async () => await gather(sleep(5, 1), sleep(1, 2)));
    });
    expect(results).toEqual([1, 2]);
  });

  it("marks the errors of the children after the first as retrieved", async () => {
    const { reported } = await runVirtual(function* () {
      yield* caught(gather(fail(1, "one"), fail(2, "two")));
      yield* sleep(5);
      expect(getRunningLoop().isRunning()).toBe(true);
    });
    expect(reported).toEqual([]);
  });
});
