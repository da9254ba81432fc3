import { describe, expect, it } from "vitest";
import { type Coro, gather, run, spawnWorker } from "../../src/index.js";
import type { api as MathApi } from "./fixtures/math-worker.js";
import { mathWorkerUrl } from "./fixtures/worker-url.js";

type Api = typeof MathApi;

const inNode = typeof process !== "undefined" && typeof process.versions?.node === "string";
/** Node resources (ports, timers, workers) by kind; empty in a browser, which has no such API. */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!inNode) return counts;
  for (const kind of (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe("no leaks", { timeout: 120_000 }, () => {
  it("leaves no pending call on either side after 1e4 calls", async () => {
    await run(
      (function* (): Coro<void> {
        const worker = spawnWorker<Api>(mathWorkerUrl);
        yield* worker.ready();
        for (let batch = 0; batch < 100; batch++) {
          const calls = Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? worker.api.sleepy(1_000) : worker.api.add(batch, i)));
          for (let i = 0; i < calls.length; i += 10) calls[i]!.cancel(); // some are cancelled in the worker
          yield* gather(...calls, { returnExceptions: true });
        }
        expect(worker.pendingCalls).toBe(0);
        expect(yield* worker.api.servingCount()).toBe(0);
        yield* worker.close();
      })(),
    );
  });

  it("leaves no worker, port or timer behind after repeated spawn and close", async () => {
    const before = activeResources();
    // Workers start fast in a browser; in Node each one loads the sources through tsx.
    const cycles = inNode ? 12 : 100;
    await run(
      (function* (): Coro<void> {
        for (let i = 0; i < cycles; i++) {
          const worker = spawnWorker<Api>(mathWorkerUrl);
          expect(yield* worker.api.add(i, 1)).toBe(i + 1);
          yield* worker.close();
          expect(worker.exited).toBe(true);
        }
      })(),
    );
    // Give Node a turn to finish tearing the last worker down.
    yield_: for (let i = 0; i < 20; i++) {
      const after = activeResources();
      if ((after.MessagePort ?? 0) <= (before.MessagePort ?? 0) && (after.Timeout ?? 0) <= (before.Timeout ?? 0)) break yield_;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const after = activeResources();
    expect(after.MessagePort ?? 0).toBeLessThanOrEqual(before.MessagePort ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
  });
});
