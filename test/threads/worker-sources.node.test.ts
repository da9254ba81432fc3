import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { type Coro, WorkerCrashedError, WorkerPool, run, spawnWorker } from "../../src/index.js";
import type { api as MathApi } from "./fixtures/math-worker.js";
import type { api as OptionsApi } from "./fixtures/node-options-worker.js";
import { caught } from "../support/harness.js";
import { mathWorkerUrl } from "./fixtures/worker-url.js";

const optionsWorkerUrl = new URL("./fixtures/node-options-worker.ts", import.meta.url);

describe("Node workers from a Worker object, a factory, and host options", { timeout: 30_000 }, () => {
  it("adopts a worker_threads Worker made by the caller", async () => {
    const sum = await run(
      (function* (): Coro<number> {
        const worker = spawnWorker<typeof MathApi>(new Worker(mathWorkerUrl), { name: "adopted" });
        try {
          return yield* worker.api.add(40, 2);
        } finally {
          yield* worker.close();
        }
      })(),
    );
    expect(sum).toBe(42);
  });

  it("names a Worker object given without a name by its thread id in what its death fails", async () => {
    const [error, threadId] = await run(
      (function* (): Coro<[unknown, number]> {
        const made = new Worker(mathWorkerUrl);
        const threadId = made.threadId; // -1 once the thread has ended
        const worker = spawnWorker<typeof MathApi>(made);
        const pending = worker.api.sleepy(1_000_000);
        yield* worker.api.exitSoon(3);
        return [yield* caught(pending), threadId];
      })(),
    );
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toMatch(new RegExp(`^worker thread ${threadId} exited with code 3`));
  });

  it("passes workerData, env and argv through to the worker", async () => {
    const seen = await run(
      (function* (): Coro<unknown> {
        const worker = spawnWorker<typeof OptionsApi>(optionsWorkerUrl, {
          workerData: { job: 7 },
          env: { ...process.env, ASYNCIO_TS_TEST: "yes" },
          argv: ["--flag"],
          resourceLimits: { maxOldGenerationSizeMb: 256 },
        });
        try {
          return yield* worker.api.seen();
        } finally {
          yield* worker.close();
        }
      })(),
    );
    expect(seen).toEqual({ workerData: { job: 7 }, env: "yes", argv: ["--flag"] });
  });

  it("passes execArgv through: the tsx preload starts a .ts worker, none leaves it unable to load one", async () => {
    const tsxPreload = new URL("../support/tsx-register.mjs", import.meta.url).href;
    const [withTsx, without] = await run(
      (function* (): Coro<[number, unknown]> {
        const worker = spawnWorker<typeof MathApi>(mathWorkerUrl, { execArgv: ["--import", tsxPreload] });
        const sum = yield* worker.api.add(1, 2);
        yield* worker.close();
        return [sum, yield* caught(spawnWorker(mathWorkerUrl, { execArgv: [] }).ready())];
      })(),
    );
    expect(withTsx).toBe(3);
    expect(without).toBeInstanceOf(WorkerCrashedError);
    expect(String((without as Error).cause)).toMatch(/Unknown file extension "\.ts"/);
  });

  it("runs a pool from a factory, starting a new worker from it when one dies", async () => {
    let made = 0;
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<typeof MathApi>(() => (made++, new Worker(mathWorkerUrl)), { size: 1 });
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

  it("fails ready() with WorkerCrashedError naming the URL and Node's load error when the module is missing", async () => {
    const error = await run(
      (function* (): Coro<unknown> {
        const worker = spawnWorker(new URL("./fixtures/no-such-worker.mjs", import.meta.url));
        const failure = yield* caught(worker.ready());
        expect(yield* caught(worker.call("add", 1, 2))).toBeInstanceOf(WorkerCrashedError); // a call fails through its task too
        return failure;
      })(),
    );
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toMatch(/no-such-worker\.mjs.*ended before it called expose\(\)/);
    expect(String((error as Error).cause)).toMatch(/no-such-worker|Cannot find/);
  });

  it("fails ready() when the module loads but ends without calling expose()", async () => {
    const error = await run(
      (function* (): Coro<unknown> {
        return yield* caught(spawnWorker(new URL("./fixtures/never-exposes-worker.ts", import.meta.url)).ready());
      })(),
    );
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toMatch(/never-exposes-worker\.ts.*ended before it called expose\(\).*exited with code 0/);
  });
});
