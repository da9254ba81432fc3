import { describe, expect, it } from "vitest";
import { type Coro, WorkerCrashedError, WorkerPool, run, spawnWorker } from "../../src/index.js";
import type { api as MathApi } from "./fixtures/math-worker.js";
import { caught } from "../support/harness.js";

describe("browser workers made the way bundlers recognise", { timeout: 30_000 }, () => {
  it("adopts a module Worker made with new Worker(new URL(...), { type: 'module' })", async () => {
    const sum = await run(
      (function* (): Coro<number> {
        const worker = spawnWorker<typeof MathApi>(new Worker(new URL("./fixtures/math-worker.ts", import.meta.url), { type: "module" }));
        try {
          return yield* worker.api.add(40, 2);
        } finally {
          yield* worker.close();
        }
      })(),
    );
    expect(sum).toBe(42);
  });

  it("numbers a Worker object given without a name in what its death fails", async () => {
    const error = await run(
      (function* (): Coro<unknown> {
        const worker = spawnWorker<typeof MathApi>(new Worker(new URL("./fixtures/math-worker.ts", import.meta.url), { type: "module" }));
        const pending = worker.api.sleepy(1_000_000);
        yield* worker.api.crashSoon();
        return yield* caught(pending);
      })(),
    );
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toMatch(/^worker #\d+ crashed: /); // a page's Worker has no name or id to show
  });

  it("runs a pool from a factory and starts a new worker from it when one dies", async () => {
    let made = 0;
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<typeof MathApi>(() => (made++, new Worker(new URL("./fixtures/math-worker.ts", import.meta.url), { type: "module" })), { size: 1 });
        try {
          expect(yield* pool.api.add(1, 2)).toBe(3);
          const pending = pool.api.sleepy(1_000_000);
          yield* pool.api.crashSoon();
          expect(yield* caught(pending)).toBeInstanceOf(WorkerCrashedError);
          expect(yield* pool.api.add(2, 3)).toBe(5);
        } finally {
          yield* pool.shutdown();
        }
      })(),
    );
    expect(made).toBe(2);
  });

  it("fails ready() and every call with WorkerCrashedError when the worker's module does not load", async () => {
    const [ready, call] = await run(
      (function* (): Coro<unknown[]> {
        const worker = spawnWorker(new URL("./fixtures/no-such-worker.js", import.meta.url));
        return [yield* caught(worker.ready()), yield* caught(worker.call("add", 1, 2))];
      })(),
    );
    expect(ready).toBeInstanceOf(WorkerCrashedError);
    expect((ready as Error).message).toMatch(/no-such-worker\.js.*ended before it called expose\(\)/);
    expect(call).toBeInstanceOf(WorkerCrashedError);
  });
});
