import { afterEach, describe, expect, it, vi } from "vitest";
import { type Coro, VirtualClock, createTask, ensureFuture, getRunningLoop, run, sleep, timeout, waitFor, Event } from "../../src/index.js";

/** The longest delay setTimeout takes; a longer one fires at once (and Node warns). */
const MAX_HOST_DELAY = 2 ** 31 - 1;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("delays beyond what the host's timer takes", () => {
  it("arms the host timer at most 2^31-1 ms ahead, once, for sleep(Infinity), sleep(3e9), waitFor(x, Infinity) and timeout(Infinity)", async () => {
    const armed = vi.spyOn(globalThis, "setTimeout");
    await run(
      (function* (): Coro<void> {
        const never = new Event();
        const waiting = [
          createTask(sleep(Infinity)),
          createTask(sleep(3e9)),
          createTask(waitFor(never.wait(), Infinity)),
          createTask(timeout(Infinity, function* () {
            yield* never.wait();
          })),
        ];
        armed.mockClear();
        // An idle loop for a while (real time: a spinning loop re-arms every millisecond).
        yield* ensureFuture(new Promise<void>((resolve) => globalThis.setTimeout(resolve, 30)));
        for (const [, delay] of armed.mock.calls) expect(delay ?? 0).toBeLessThanOrEqual(MAX_HOST_DELAY);
        // the test's own 30 ms timer, and at most one host timer for the loop
        expect(armed.mock.calls.filter(([, delay]) => delay !== 30).length).toBeLessThanOrEqual(1);
        for (const task of waiting) task.cancel();
        yield* sleep(0);
        for (const task of waiting) expect(task.cancelled()).toBe(true);
      })(),
    );
  });

  it("never jumps virtual time to an infinite deadline: sleep(Infinity) stays asleep while other work goes on", async () => {
    const clock = new VirtualClock();
    const [done, now] = await run(
      (function* (): Coro<[boolean, number]> {
        const forever = createTask(sleep(Infinity, "woke"));
        yield* sleep(10);
        // Nothing but the infinite timer is pending while the host works for a while.
        yield* ensureFuture(new Promise<void>((resolve) => setTimeout(resolve, 20)));
        const result: [boolean, number] = [forever.done(), getRunningLoop().time()];
        forever.cancel();
        return result;
      })(),
      { clock },
    );
    expect(done).toBe(false);
    expect(now).toBe(10);
  });
});
