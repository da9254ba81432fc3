import { describe, expect, it } from "vitest";
import { type Coro, ThreadSafeQueue, WorkerCrashedError, run, sleep, spawnWorker } from "../../src/index.js";
import type { api as WorkerApi } from "./fixtures/threadsafe-worker.js";
import { caught } from "../support/harness.js";
import { threadsafeWorkerUrl } from "./fixtures/worker-url.js";

// Node tells a port that its other end's thread ended; Chromium's MessagePort does
// not (see docs/threads.md), so these rules are tested here.
describe("a thread that dies while it shares a ThreadSafeQueue (Node)", { timeout: 30_000 }, () => {
  it("fails the queue on every other thread with WorkerCrashedError when its owner's thread ends", async () => {
    await run(
      (function* (): Coro<void> {
        const owner = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
        const queue = yield* owner.api.makeQueue(0);
        yield* queue.put(1);
        const waiting = queue.get();
        const second = queue.get(); // waits: one item only
        expect(yield* waiting).toBe(1);
        owner.terminate();
        expect(yield* caught(second)).toBeInstanceOf(WorkerCrashedError);
        const later = yield* caught(queue.put(2));
        expect(later).toBeInstanceOf(WorkerCrashedError);
        expect((later as Error).message).toMatch(/thread that owns a ThreadSafeQueue ended/);
      })(),
    );
  });

  it("fails join() with WorkerCrashedError, instead of waiting forever, when a thread dies holding an item it never marked done", async () => {
    await run(
      (function* (): Coro<void> {
        const holder = spawnWorker<typeof WorkerApi>(threadsafeWorkerUrl);
        yield* holder.ready();
        const queue = new ThreadSafeQueue<string>();
        queue.putNowait("kept");
        expect(yield* holder.api.takeAndKeep(queue)).toBe("kept");
        const joining = queue.join();
        yield* sleep(10);
        holder.terminate();
        const error = yield* caught(joining);
        expect(error).toBeInstanceOf(WorkerCrashedError);
        expect((error as Error).message).toMatch(/ended holding 1 item/);
        expect(yield* caught(queue.join())).toBeInstanceOf(WorkerCrashedError);
      })(),
    );
  });
});
