import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  EventLoop,
  RuntimeError,
  Task,
  allTasks,
  createTask,
  currentTask,
  eagerTaskFactory,
  getRunningLoop,
  sleep,
} from "../../src/index.js";
import { Log, caught, runV, runVirtual } from "../support/harness.js";

function* returns<T>(value: T): Coro<T> {
  return value;
}

describe("Task", () => {
  it("starts on the next iteration, not inside createTask", async () => {
    const log = new Log();
    await runV(function* () {
      createTask(
        (function* (): Coro<void> {
          log.add("task ran");
        })(),
      );
      log.add("after createTask");
      yield* sleep(0);
    });
    expect(log.events).toEqual(["after createTask", "task ran"]);
  });

  it("returns its coroutine's value through yield*, await and result()", async () => {
    await runV(function* () {
      const task = createTask(sleep(10, "v"));
      expect(yield* task).toBe("v");
      expect(task.result()).toBe("v");
      const awaited = yield* createTask(async () => await task);
      expect(awaited).toBe("v");
    });
  });

  it("throws CancelledError in at the exact yield* and runs finally blocks", async () => {
    const log = new Log();
    await runV(function* () {
      const task = createTask(
        (function* (): Coro<void> {
          try {
            log.add("before wait");
            yield* sleep(100);
            log.add("never");
          } catch (error) {
            log.add(`caught ${(error as Error).name}: ${(error as Error).message}`);
            throw error;
          } finally {
            log.add("finally");
          }
        })(),
      );
      yield* sleep(10);
      expect(task.cancel("enough")).toBe(true);
      const error = yield* caught(task);
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe("enough");
      expect(task.cancelled()).toBe(true);
    });
    expect(log.events).toEqual(["before wait", "caught CancelledError: enough", "finally"]);
  });

  it("keeps driving a finally block that waits after cancellation", async () => {
    const log = new Log();
    const { clock } = await runVirtual(function* () {
      const loop = getRunningLoop();
      const task = createTask(
        (function* (): Coro<void> {
          try {
            yield* sleep(1000);
          } finally {
            log.add(`cleanup starts at ${loop.time()}`);
            yield* sleep(50);
            log.add(`cleanup ends at ${loop.time()}`);
          }
        })(),
      );
      yield* sleep(10);
      task.cancel();
      yield* caught(task);
      log.add(`task done at ${loop.time()}`);
    });
    expect(log.events).toEqual(["cleanup starts at 10", "cleanup ends at 60", "task done at 60"]);
    expect(clock.now()).toBe(60);
  });

  it("never runs the body of a task cancelled before it started", async () => {
    const log = new Log();
    await runV(function* () {
      const task = createTask(
        (function* (): Coro<void> {
          log.add("body ran");
        })(),
      );
      task.cancel();
      expect(yield* caught(task)).toBeInstanceOf(CancelledError);
    });
    expect(log.events).toEqual([]);
  });

  it("returns the value when the coroutine swallows the cancellation", async () => {
    await runV(function* () {
      const task = createTask(
        (function* (): Coro<string> {
          try {
            yield* sleep(100);
            return "slept";
          } catch {
            currentTask()!.uncancel();
            return "swallowed";
          }
        })(),
      );
      yield* sleep(1);
      task.cancel();
      expect(yield* task).toBe("swallowed");
      expect(task.cancelled()).toBe(false);
      expect(task.cancelling()).toBe(0);
    });
  });

  it("cancels the task it is waiting on", async () => {
    await runV(function* () {
      const inner = createTask(sleep(100));
      const outer = createTask(
        (function* (): Coro<void> {
          yield* inner;
        })(),
      );
      yield* sleep(1);
      outer.cancel();
      yield* caught(outer);
      expect(inner.cancelled()).toBe(true);
      expect(outer.cancelled()).toBe(true);
    });
  });

  it("ends cancelled when cancelled right after its coroutine's last wait completed", async () => {
    await runV(function* () {
      const future = getRunningLoop().createFuture<number>();
      const task = createTask(
        (function* (): Coro<number> {
          return yield* future;
        })(),
      );
      yield* sleep(0);
      future.setResult(1); // the task's wake-up is now scheduled
      task.cancel();
      expect(yield* caught(task)).toBeInstanceOf(CancelledError);
    });
  });

  it("counts cancel requests and takes them back with uncancel", async () => {
    await runV(function* () {
      const task = createTask(sleep(100));
      expect(task.cancelling()).toBe(0);
      task.cancel();
      task.cancel();
      expect(task.cancelling()).toBe(2);
      expect(task.uncancel()).toBe(1);
      expect(task.uncancel()).toBe(0);
      expect(task.uncancel()).toBe(0);
      // No request is left, so the task runs normally.
      expect(yield* task).toBeUndefined();
      expect(task.cancel()).toBe(false);
    });
  });

  it("throws a RuntimeError into a task that waits on itself", async () => {
    await runV(function* () {
      const holder: { task?: Task<unknown> } = {};
      holder.task = createTask(
        (function* (): Coro<void> {
          yield* sleep(0);
          yield* holder.task!;
        })(),
      );
      const error = yield* caught(holder.task);
      expect(error).toBeInstanceOf(RuntimeError);
      expect((error as Error).message).toMatch(/cannot wait on itself/);
    });
  });

  it("throws a TypeError in for a bad yield, naming ensureFuture for promises", async () => {
    await runV(function* () {
      const number = createTask(
        (function* (): Coro<void> {
          yield 42 as never;
        })(),
      );
      expect(((yield* caught(number)) as Error).message).toMatch(/bad yield: number 42/);
      const promise = createTask(
        (function* (): Coro<void> {
          yield Promise.resolve(1) as never;
        })(),
      );
      expect(((yield* caught(promise)) as Error).message).toMatch(/yield\* ensureFuture\(promise\)/);
    });
  });

  it("throws a RuntimeError in when waiting on another loop's future", async () => {
    const other = new EventLoop();
    await runV(function* () {
      const foreign = other.createFuture<number>();
      const task = createTask(
        (function* (): Coro<number> {
          return yield* foreign;
        })(),
      );
      expect(((yield* caught(task)) as Error).message).toMatch(/different loop/);
    });
    other.close();
  });

  it("is refused setResult and setException", async () => {
    await runV(function* () {
      const task = createTask(sleep(1));
      expect(() => task.setResult(undefined)).toThrow(RuntimeError);
      expect(() => task.setException(new Error())).toThrow(/does not support setException/);
      yield* task;
    });
  });

  it("names tasks Task-N by default and lets them be renamed", async () => {
    await runV(function* () {
      const task = createTask(sleep(1));
      expect(task.getName()).toMatch(/^Task-\d+$/);
      task.setName("renamed");
      expect(task.getName()).toBe("renamed");
      expect(createTask(sleep(1), { name: "given" }).getName()).toBe("given");
      expect(String(task)).toBe("<Task renamed pending>");
      yield* task;
    });
  });

  it("knows the current task, and none in a plain callback", async () => {
    await runV(function* () {
      const main = currentTask();
      expect(main?.getName()).toBe("main");
      let inCallback: unknown = "unset";
      getRunningLoop().callSoon(() => {
        inCallback = currentTask();
      });
      const child = createTask(
        (function* (): Coro<Task<unknown> | null> {
          return currentTask();
        })(),
      );
      expect(yield* child).toBe(child);
      expect(inCallback).toBeNull();
      expect(currentTask()).toBe(main);
    });
  });

  it("lists pending tasks in allTasks and drops finished ones", async () => {
    await runV(function* () {
      const a = createTask(sleep(10));
      const b = createTask(sleep(20));
      expect(allTasks()).toEqual(new Set([currentTask(), a, b]));
      yield* a;
      expect(allTasks().has(a)).toBe(false);
      expect(allTasks().has(b)).toBe(true);
      yield* b;
    });
  });

  it("keeps its coroutine while it runs and lets it go once done, however it ended", async () => {
    await runV(function* () {
      const coros: Record<string, Coro<unknown>> = { ok: sleep(1, "ok"), fails: fails(), cancelled: sleep(50), swallowed: swallows() };
      const tasks = Object.fromEntries(Object.entries(coros).map(([name, coro]) => [name, createTask(coro)]));
      yield* sleep(0);
      for (const [name, task] of Object.entries(tasks)) expect(task.getCoro(), name).toBe(coros[name]);
      tasks.cancelled!.cancel();
      tasks.swallowed!.cancel();
      yield* sleep(2);
      for (const [name, task] of Object.entries(tasks)) {
        expect(task.done(), name).toBe(true);
        expect(task.getCoro(), name).toBeNull();
      }
      expect(tasks.ok!.result()).toBe("ok");
      expect(tasks.cancelled!.cancelled()).toBe(true);
      expect(tasks.swallowed!.result()).toBe("swallowed");
      expect((tasks.fails!.exception() as Error).message).toBe("boom");
    });

    function* fails(): Coro<never> {
      yield* sleep(1);
      throw new Error("boom");
    }
    function* swallows(): Coro<string> {
      try {
        yield* sleep(50);
      } catch {
        // the cancellation is swallowed: the task returns instead
      }
      return "swallowed";
    }
  });

  it("reports an exception nobody retrieved, with the task", async () => {
    const { reported } = await runVirtual(function* () {
      createTask(
        (function* (): Coro<void> {
          throw new Error("unseen");
        })(),
        { name: "lonely" },
      );
      const seen = createTask(
        (function* (): Coro<void> {
          throw new Error("seen");
        })(),
      );
      yield* caught(seen);
    });
    expect(reported.map((r) => r.message)).toEqual(["Task exception was never retrieved"]);
    expect((reported[0]!.exception as Error).message).toBe("unseen");
    expect(String(reported[0]!.future)).toMatch(/lonely/);
  });
});

describe("Task from an async function", () => {
  it("aborts the signal on cancel and ends cancelled when the function rejects with its reason", async () => {
    const log = new Log();
    await runV(function* () {
      const task = createTask(async (signal) => {
        signal.addEventListener("abort", () => log.add(`aborted: ${(signal.reason as Error).message}`));
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      });
      yield* sleep(1);
      task.cancel("stop fetching");
      const error = yield* caught(task);
      expect(error).toBeInstanceOf(CancelledError);
      expect(task.cancelled()).toBe(true);
    });
    expect(log.events).toEqual(["aborted: stop fetching"]);
  });

  it("treats an AbortError rejection after cancel as cancellation", async () => {
    await runV(function* () {
      const task = createTask(async (signal) => {
        await new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" }))),
        );
      });
      yield* sleep(1);
      task.cancel();
      yield* caught(task);
      expect(task.cancelled()).toBe(true);
    });
  });

  it("keeps the value when the function ignores the signal", async () => {
    await runV(function* () {
      const loop = getRunningLoop();
      const release = loop.createFuture<string>();
      const task = createTask(async () => await release);
      yield* sleep(1);
      task.cancel();
      release.setResult("finished anyway");
      expect(yield* task).toBe("finished anyway");
    });
  });

  it("fails with the function's own error", async () => {
    await runV(function* () {
      const task = createTask(async () => {
        throw new RangeError("bad range");
      });
      expect(yield* caught(task)).toBeInstanceOf(RangeError);
    });
  });

  it("never calls a function whose task was cancelled before it started", async () => {
    let called = false;
    await runV(function* () {
      const task = createTask(async () => {
        called = true;
      });
      task.cancel();
      yield* caught(task);
    });
    expect(called).toBe(false);
  });

  it("drives a coroutine that the function returns", async () => {
    await runV(function* () {
      expect(yield* createTask(() => sleep(5, "from coroutine"))).toBe("from coroutine");
    });
  });
});

describe("eager tasks", () => {
  it("runs up to the first real wait inside createTask", async () => {
    const log = new Log();
    await runV(function* () {
      const task = createTask(
        (function* (): Coro<string> {
          log.add(`eager start in ${currentTask()?.getName()}`);
          yield* sleep(1);
          log.add("eager resumed");
          return "done";
        })(),
        { eager: true, name: "eager" },
      );
      log.add(`after createTask, current is main: ${currentTask()?.getName()}`);
      expect(yield* task).toBe("done");
    });
    expect(log.events).toEqual(["eager start in eager", "after createTask, current is main: main", "eager resumed"]);
  });

  it("is done when createTask returns if it never waits, and is never listed", async () => {
    await runV(function* () {
      const task = createTask(returns(5), { eager: true });
      expect(task.done()).toBe(true);
      expect(task.result()).toBe(5);
      expect(allTasks().has(task)).toBe(false);
      expect(task.getCoro()).toBeNull(); // asyncio 3.12+: it keeps no coroutine
      const waits = createTask(sleep(1, "later"), { eager: true });
      expect(waits.getCoro()).not.toBeNull(); // one that waited keeps its coroutine
      yield* waits;
    });
  });

  it("applies to every task through eagerTaskFactory", async () => {
    await runV(function* () {
      const loop = getRunningLoop();
      loop.setTaskFactory(eagerTaskFactory);
      expect(loop.getTaskFactory()).toBe(eagerTaskFactory);
      const task = createTask(returns("eager"));
      expect(task.result()).toBe("eager");
      loop.setTaskFactory(null);
      expect(createTask(returns(1)).done()).toBe(false);
      yield* sleep(0);
    });
  });
});

describe("createTask with bad input", () => {
  it("explains a generator function that was not called", async () => {
    await runV(function* () {
      function* worker(): Coro<void> {}
      expect(() => createTask(worker as never)).toThrow(/generator function worker itself; call it/);
    });
  });

  it("refuses async generators, plain values and futures with a TypeError", async () => {
    await runV(function* () {
      async function* stream() {}
      expect(() => createTask(stream() as never)).toThrow(/async generator/);
      expect(() => createTask(stream as never)).toThrow(/async generator/);
      expect(() => createTask(42 as never)).toThrow(/expects a coroutine.*got number 42/);
      expect(() => createTask(getRunningLoop().createFuture() as never)).toThrow(/got a Future, which runs already: wait on it as it is/);
      expect(() => createTask(createTask(returns(1)) as never)).toThrow(/which runs already/);
      expect(() => createTask(Promise.resolve(1) as never)).toThrow(/ensureFuture\(promise\)/);
    });
  });

  it("refuses to run outside a loop", () => {
    expect(() => createTask(returns(1))).toThrow(/no running event loop/);
  });
});

describe("yielding without the star", () => {
  it("throws a TypeError in that says to use yield*", async () => {
    await runV(function* () {
      const task = createTask(
        (function* (): Coro<void> {
          yield sleep(1) as never;
        })(),
      );
      expect(((yield* caught(task)) as Error).message).toMatch(/yielded coroutine; wait on it with yield\*/);
    });
  });
});
