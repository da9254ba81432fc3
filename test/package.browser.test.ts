import { describe, expect, it } from "vitest";

// The built browser bundle, loaded as a module the way a page would load it.
// (`npm test` builds before it tests.)
const bundleUrl = new URL("../dist/browser/index.mjs", import.meta.url).href;

describe("the built browser bundle", () => {
  it("imports as an ES module and runs tasks with a timeout and a cancellation", async () => {
    const lib = await import(/* @vite-ignore */ bundleUrl);
    const outcome = await lib.run(
      (function* () {
        const slow = lib.createTask(lib.sleep(10_000, "slow"));
        let timedOut = false;
        try {
          yield* lib.waitFor(slow, 50);
        } catch (error) {
          timedOut = error instanceof lib.TimeoutError;
        }
        return { timedOut, slowCancelled: slow.cancelled(), value: yield* lib.sleep(10, "value") };
      })(),
      { clock: new lib.VirtualClock() },
    );
    expect(outcome).toEqual({ timedOut: true, slowCancelled: true, value: "value" });
  });
});
