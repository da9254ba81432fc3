import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  type ExceptionContext,
  Runner,
  RuntimeError,
  VirtualClock,
  createTask,
  currentTask,
  ensureFuture,
  getRunningLoop,
  run,
  sleep,
  startLoop,
} from "../../src/index.js";
import { Log, caught, runV } from "../support/harness.js";

describe("Runner", () => {
  it("runs several mains on one loop; a task left by one run goes on in the next", async () => {
    const clock = new VirtualClock();
    const runner = new Runner({ clock });
    const log = new Log();
    const loop = runner.getLoop();
    // Wrapped: a task is thenable, and a promise resolved with a thenable adopts it.
    const { background } = await runner.run(
      (function* (): Coro<{ background: ReturnType<typeof createTask<string>> }> {
        expect(getRunningLoop()).toBe(loop);
        return { background: createTask(sleep(100, "background done")) };
      })(),
    );
    expect(background.done()).toBe(false);
    log.add(await runner.run(sleep(50, "second run")));
    expect(background.done()).toBe(false);
    log.add(
      await runner.run(
        (function* (): Coro<string> {
          return yield* background;
        })(),
      ),
    );
    expect(log.events).toEqual(["second run", "background done"]);
    expect(clock.now()).toBe(100);
    await runner.close();
    expect(loop.isClosed()).toBe(true);
  });

  it("close() cancels what is left, lets its finally blocks wait, reports its errors, and closes once", async () => {
    const reported: ExceptionContext[] = [];
    const log = new Log();
    const runner = new Runner({ clock: new VirtualClock() });
    runner.getLoop().setExceptionHandler((_loop, context) => void reported.push(context));
    await runner.run(
      (function* (): Coro<void> {
        createTask(
          (function* (): Coro<void> {
            try {
              yield* sleep(1_000_000);
            } finally {
              yield* sleep(10); // cleanup that waits
              log.add("cleaned up");
            }
          })(),
        );
        createTask(
          (function* (): Coro<void> {
            try {
              yield* sleep(1_000_000);
            } catch {
              throw new Error("failed while cancelled");
            }
          })(),
        );
        yield* sleep(0);
      })(),
    );
    const first = runner.close();
    expect(runner.close()).toBe(first);
    await first;
    expect(log.events).toEqual(["cleaned up"]);
    expect(reported.map((context) => (context.exception as Error).message)).toEqual(["failed while cancelled"]);
    await expect(runner.run(sleep(1))).rejects.toThrow(/Runner is closed/);
  });

  it("refuses run() inside a running loop, and closes at the end of an await using block", async () => {
    let loopOfBlock: ReturnType<Runner["getLoop"]> | null = null;
    {
      await using runner = new Runner({ clock: new VirtualClock() });
      loopOfBlock = runner.getLoop();
      const error = await runner.run(
        (function* (): Coro<unknown> {
          return yield* caught(ensureFuture(new Runner().run(sleep(1))));
        })(),
      );
      expect(error).toBeInstanceOf(RuntimeError);
    }
    expect(loopOfBlock.isClosed()).toBe(true);
  });
});

describe("startLoop", () => {
  it("keeps a loop running for code with no main: handlers outside any task create tasks on it", async () => {
    const loop = startLoop();
    try {
      expect(getRunningLoop()).toBe(loop);
      // As a UI handler would, from a plain callback of the host:
      const results = await new Promise<string[]>((resolve) => {
        setTimeout(() => {
          const a = createTask(sleep(5, "a"));
          const b = createTask(sleep(1, "b"));
          Promise.all([a, b]).then(resolve);
        }, 0);
      });
      expect(results).toEqual(["a", "b"]);
    } finally {
      loop.stop();
      await new Promise((resolve) => setTimeout(resolve, 0));
      loop.close();
    }
    expect(() => getRunningLoop()).toThrow(/no running event loop/);
  });
});

describe("async code awaiting a loop that closes", () => {
  it("ends with CancelledError instead of waiting forever, for a future and for a task", async () => {
    const loop = startLoop();
    const reported: string[] = [];
    loop.setExceptionHandler((_loop, context) => void reported.push(context.message));
    const future = loop.createFuture<string>();
    const forever = loop.createTask(sleep(3_600_000));
    const outcome = (awaited: PromiseLike<unknown>): Promise<string> =>
      Promise.resolve(awaited).then(
        () => "resolved",
        (error: Error) => `${error.name}: ${error.message}`,
      );
    // A UI handler's async code, not itself a task of the loop.
    const awaits = [outcome(future), outcome(forever)];
    const finished = loop.createFuture<string>();
    const finishedAwait = outcome(finished);
    finished.setResult("done");
    await finishedAwait;
    loop.stop();
    await new Promise((resolve) => setTimeout(resolve, 0));
    loop.close();
    const [onFuture, onTask] = await Promise.all(awaits);
    expect(onFuture).toMatch(/^CancelledError: <Future pending> can never finish: its event loop is closed\. Await it before/);
    expect(onTask).toMatch(/^CancelledError: <Task Task-\d+ pending> can never finish/);
    expect(await finishedAwait).toBe("resolved");
    expect(reported).toEqual([expect.stringMatching(/^Task was destroyed but it is pending!/)]);
    // First awaited after the close: ends at once too.
    expect(await outcome(future)).toBe(onFuture);
  });

  it("ends the await of async code that run() left behind", async () => {
    let left: Promise<unknown> | undefined;
    await run(async () => {
      const future = getRunningLoop().createFuture<void>();
      left = (async () => {
        await future;
      })();
    });
    await expect(left).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("AbortSignal in and out of a task", () => {
  it("cancels a task when the signal given to createTask aborts, with the reason's message", async () => {
    const controller = new AbortController();
    const error = await runV(function* () {
      const task = createTask(sleep(1_000_000), { signal: controller.signal });
      yield* sleep(5);
      controller.abort(new Error("navigated away"));
      return yield* caught(task);
    });
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe("navigated away");
  });

  it("never starts a task whose signal already aborted, eager or not", async () => {
    const log = new Log();
    await runV(function* () {
      const signal = AbortSignal.abort("gone");
      const body = function* (): Coro<void> {
        log.add("ran");
        yield* sleep(1);
      };
      const lazy = createTask(body(), { signal });
      const eager = createTask(body(), { signal, eager: true });
      yield* sleep(1);
      expect(lazy.cancelled() && eager.cancelled()).toBe(true);
    });
    expect(log.events).toEqual([]);
  });

  it("lets a task's signal go with it: no listener is kept once the task is done", async () => {
    const controller = new AbortController();
    const added: unknown[] = [];
    const removed: unknown[] = [];
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((type: string, listener: never, options?: never) => (added.push(listener), add(type, listener, options))) as never;
    signal.removeEventListener = ((type: string, listener: never) => (removed.push(listener), remove(type, listener))) as never;
    await runV(function* () {
      yield* createTask(sleep(1), { signal });
    });
    expect(added).toHaveLength(1);
    expect(removed).toEqual(added);
  });

  it("gives task.signal, which aborts with a CancelledError as soon as the task is asked to cancel", async () => {
    const seen = await runV(function* () {
      const reasons: unknown[] = [];
      const task = createTask(
        (function* (): Coro<void> {
          currentTask()!.signal.addEventListener("abort", (event) => reasons.push((event.target as AbortSignal).reason));
          yield* sleep(1_000_000);
        })(),
      );
      yield* sleep(1);
      expect(task.signal.aborted).toBe(false);
      task.cancel("stop now");
      expect(task.signal.aborted).toBe(true); // at the request, before the task unwinds
      yield* caught(task);
      const late = createTask(sleep(1));
      late.cancel("before anyone asked");
      expect(late.signal.aborted).toBe(true);
      return reasons;
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(CancelledError);
    expect((seen[0] as Error).message).toBe("stop now");
  });

  it("refuses a signal that is not an AbortSignal", async () => {
    await run(
      (function* (): Coro<void> {
        expect(() => createTask(sleep(1), { signal: {} as never })).toThrow(/createTask option signal expects an AbortSignal/);
      })(),
    );
  });
});
