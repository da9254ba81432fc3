import { describe, expect, it } from "vitest";
import { type Coro, createTask, getRunningLoop, sleep } from "../../src/index.js";
import { Log, caught, runVirtual } from "../support/harness.js";

describe("sleep", () => {
  it("waits the given time and returns the value", async () => {
    const { value, clock } = await runVirtual(function* () {
      return yield* sleep(250, { payload: 1 });
    });
    expect(value).toEqual({ payload: 1 });
    expect(clock.now()).toBe(250);
  });

  it("sleep(0) gives up exactly one iteration, like asyncio's bare yield", async () => {
    const log = new Log();
    await runVirtual(function* () {
      const loop = getRunningLoop();
      loop.callSoon(() => {
        log.add("first callback");
        loop.callSoon(() => log.add("second callback"));
      });
      yield* sleep(0);
      log.add("resumed");
      yield* sleep(0);
    });
    expect(log.events).toEqual(["first callback", "resumed", "second callback"]);
  });

  it("stops its timer when cancelled, so time does not run on to its deadline", async () => {
    const { clock } = await runVirtual(function* () {
      const task = createTask(sleep(3_600_000));
      yield* sleep(10);
      task.cancel();
      yield* caught(task);
    });
    expect(clock.now()).toBe(10);
  });

  it("can be awaited from async code", async () => {
    const { value } = await runVirtual(function* () {
      return yield* createTask(async () => {
        const v = await sleep(20, "async");
        return `${v} at ${getRunningLoop().time()}`;
      });
    });
    expect(value).toBe("async at 20");
  });

  it("refuses a delay that is not a number", () => {
    expect(() => sleep("10" as never)).toThrow(/sleep expects a delay in milliseconds, got the string "10"/);
    expect(() => sleep(Number.NaN)).toThrow(TypeError);
  });

  it("runs a coroutine handed to both yield* and await only once", async () => {
    const log = new Log();
    await runVirtual(function* () {
      function* once(): Coro<number> {
        log.add("ran");
        yield* sleep(1);
        return 1;
      }
      const task = createTask(once());
      yield* task;
    });
    expect(log.events).toEqual(["ran"]);
  });
});
