import { describe, expect, it } from "vitest";
import { type Coro, gather, run, spawnWorker } from "../../src/index.js";
import type { api as ContextApi } from "./fixtures/context-worker.js";

// expose(api, options) makes the worker's loop with the options run() takes; here
// asyncContext, which a Node service tracing its requests with AsyncLocalStorage needs.
const contextWorkerUrl = new URL("./fixtures/context-worker.ts", import.meta.url);

/** Three requests at once in a worker; what each one's steps saw. */
function stepsSeen(asyncContext: "on" | "off"): Promise<(number | undefined)[][]> {
  return run(
    (function* (): Coro<(number | undefined)[][]> {
      const worker = spawnWorker<typeof ContextApi>(contextWorkerUrl, { env: { ...process.env, ASYNCIO_TS_TEST_CONTEXT: asyncContext } });
      try {
        // Their timers interleave, so each request's task is woken by the others' turns.
        return yield* gather(worker.api.traced(1, [3, 1, 4]), worker.api.traced(2, [1, 5, 1]), worker.api.traced(3, [2, 2, 2]));
      } finally {
        yield* worker.close();
      }
    })(),
  );
}

describe("expose() with loop options", { timeout: 30_000 }, () => {
  it("keeps each of a worker's tasks in the AsyncLocalStorage store it was made in, with asyncContext", async () => {
    expect(await stepsSeen("on")).toEqual([
      [1, 1, 1, 1],
      [2, 2, 2, 2],
      [3, 3, 3, 3],
    ]);
  });

  it("is needed: without it, a task's steps see the store of whatever woke the worker's loop", async () => {
    const seen = await stepsSeen("off");
    expect(seen.some((steps, i) => steps.some((id) => id !== i + 1))).toBe(true);
  });
});
