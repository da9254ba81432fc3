import { describe, expect, it } from "vitest";
import { type Coro, RuntimeError, VirtualClock, createTask, getRunningLoop, run, sleep } from "../../src/index.js";
import { Log, runVirtual } from "../support/harness.js";

describe("run", () => {
  it("resolves with main's result and rejects with main's error", async () => {
    await expect(run(sleep(5, "value"), { clock: new VirtualClock() })).resolves.toBe("value");
    const failing = function* (): Coro<never> {
      yield* sleep(1);
      throw new TypeError("main failed");
    };
    await expect(run(failing(), { clock: new VirtualClock() })).rejects.toThrow("main failed");
  });

  it("runs an async function as main, with a running loop inside", async () => {
    const value = await run(async () => {
      await sleep(1);
      return getRunningLoop().isRunning();
    });
    expect(value).toBe(true);
  });

  it("cancels the tasks left at the end, lets their finally blocks wait, and closes the loop", async () => {
    const log = new Log();
    let loop: ReturnType<typeof getRunningLoop> | undefined;
    await runVirtual(function* () {
      loop = getRunningLoop();
      createTask(
        (function* (): Coro<void> {
          try {
            yield* sleep(10_000);
          } finally {
            yield* sleep(5);
            log.add("leftover cleaned up");
          }
        })(),
      );
      yield* sleep(1);
    });
    expect(log.events).toEqual(["leftover cleaned up"]);
    expect(loop!.isClosed()).toBe(true);
    expect(() => loop!.callSoon(() => {})).toThrow(/closed/);
  });

  it("reports a leftover task that fails while being cancelled", async () => {
    const { reported } = await runVirtual(function* () {
      createTask(
        (function* (): Coro<void> {
          try {
            yield* sleep(10_000);
          } finally {
            throw new Error("failed during shutdown");
          }
        })(),
      );
      yield* sleep(1);
    });
    expect(reported.map((r) => r.message)).toEqual(["unhandled exception during run() shutdown"]);
    expect((reported[0]!.exception as Error).message).toBe("failed during shutdown");
  });

  it("runs tasks, coroutine and async function alike, with asyncContext on (which browsers ignore)", async () => {
    const value = await run(
      (function* (): Coro<string[]> {
        const child = createTask(async () => {
          await sleep(1);
          return "async child";
        });
        return [yield* sleep(1, "coroutine"), yield* child];
      })(),
      { clock: new VirtualClock(), asyncContext: true },
    );
    expect(value).toEqual(["coroutine", "async child"]);
  });

  it("refuses to start inside a running loop", async () => {
    const error = await run(async () => {
      try {
        await run(sleep(1));
        return null;
      } catch (e) {
        return e;
      }
    });
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toMatch(/cannot be called while an event loop is running/);
  });

  it("rejects a main that is not a coroutine, leaving no loop behind", async () => {
    await expect(run(5 as never)).rejects.toThrow(TypeError);
    await expect(run(sleep(1), { clock: new VirtualClock() })).resolves.toBeUndefined();
  });
});
