import { describe, expect, it } from "vitest";
import { run, sleep, createTask, CancelledError, type Coro, VirtualClock } from "../src/index.js";

describe("smoke", () => {
  it("runs a coroutine", async () => {
    const clock = new VirtualClock();
    const r = await run(
      (function* (): Coro<number> {
        const t = createTask(sleep(1000, 5));
        const c = createTask(sleep(10000, 6));
        yield* sleep(10);
        c.cancel();
        let cancelled = false;
        try { yield* c; } catch (e) { cancelled = e instanceof CancelledError; }
        return (yield* t) + (cancelled ? 1 : 0);
      })(),
      { clock },
    );
    expect(r).toBe(6);
    expect(clock.now()).toBe(1000);
  });
});
