import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  DataCloneError,
  NotExposedError,
  TimeoutError,
  ValueError,
  Task,
  WorkerCrashedError,
  allTasks,
  callSoonThreadsafe,
  createChannel,
  gather,
  run,
  runCoroutineThreadsafe,
  sleep,
  spawnWorker,
  transfer,
} from "../../src/index.js";
import type { api as MathApi } from "./fixtures/math-worker.js";
import { caught } from "../support/harness.js";
import { mathWorkerUrl } from "./fixtures/worker-url.js";

type Api = typeof MathApi;

/**
 * Waits until the worker has started the calls sent before: calls start in the
 * order they arrive, so once a later call has answered, the earlier ones run.
 */
function* started(worker: ReturnType<typeof spawnWorker<Api>>): Coro<void> {
  yield* worker.api.add(0, 0);
}

/** What the main thread's exposed functions saw. */
const mainEvents: string[] = [];

/** Runs `body` with a fresh worker, closing it afterwards. Real time: workers are real threads. */
function withWorker<T>(body: (worker: ReturnType<typeof spawnWorker<Api>>) => Coro<T>): Promise<T> {
  return run(
    (function* (): Coro<T> {
      const worker = spawnWorker<Api>(mathWorkerUrl, {
        expose: {
          *parentSleeps(): Coro<void> {
            try {
              yield* sleep(1_000_000);
            } finally {
              mainEvents.push("parentSleeps finally");
            }
          },
          *double(x: number): Coro<number> {
            // main → worker again, while the worker waits on us
            return ((yield* worker.api.triple(x)) / 3) * 2;
          },
        },
      });
      try {
        yield* worker.ready();
        return yield* body(worker);
      } finally {
        yield* worker.close();
      }
    })(),
  );
}

// Real threads: each worker loads its module (through tsx in Node), so allow time.
describe("spawnWorker and expose", { timeout: 30_000 }, () => {
  it("calls coroutines, async and plain functions in the worker through the typed api", async () => {
    const results = await withWorker(function* (worker) {
      return [yield* worker.api.add(2, 3), yield* worker.api.plain(5), yield* worker.call("waitAbortable", 1)];
    });
    expect(results).toEqual([5, 15, "completed"]);
  });

  it("cancels the remote coroutine at its yield*: its finally runs, then the local task ends cancelled", async () => {
    const events = await withWorker(function* (worker) {
      const task = worker.api.sleepy(1_000_000);
      yield* started(worker);
      task.cancel("stop it");
      const error = yield* caught(task);
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe("stop it");
      expect(task.cancelled()).toBe(true);
      // The worker is alive and serves the next call.
      expect(yield* worker.api.add(1, 1)).toBe(2);
      return yield* worker.api.events();
    });
    expect(events).toEqual(["sleepy(1000000) finally"]);
  });

  it("waits for a remote cleanup that itself waits before the local task ends", async () => {
    const events = await withWorker(function* (worker) {
      const task = worker.api.cleanupWaits();
      yield* started(worker);
      task.cancel();
      try {
        yield* task;
      } catch {
        // cancelled
      }
      // Its finally block (which sleeps 30 ms) has finished by now.
      return yield* worker.api.events();
    });
    expect(events).toEqual(["cleanup finished"]);
  });

  it("returns the value of a remote coroutine that swallows the cancellation", async () => {
    const value = await withWorker(function* (worker) {
      const task = worker.api.swallow(1_000_000);
      yield* started(worker);
      task.cancel();
      return yield* task;
    });
    expect(value).toBe("swallowed the cancellation");
  });

  it("aborts an async function's signal when the call is cancelled", async () => {
    const events = await withWorker(function* (worker) {
      const task = worker.api.waitAbortable(1_000_000);
      yield* started(worker);
      task.cancel();
      try {
        yield* task;
      } catch (e) {
        expect(e).toBeInstanceOf(CancelledError);
      }
      return yield* worker.api.events();
    });
    expect(events).toEqual(["abort signal seen"]);
  });

  it("brings errors back with their class, message, stack and cause", async () => {
    const errors = await withWorker(function* (worker) {
      const caught: unknown[] = [];
      for (const kind of ["value", "timeout", "range", "custom"]) {
        try {
          yield* worker.api.fail(kind);
        } catch (e) {
          caught.push(e);
        }
      }
      return caught;
    });
    expect(errors[0]).toBeInstanceOf(ValueError);
    expect((errors[0] as Error).message).toBe("bad value in worker");
    expect((errors[0] as Error).stack).toMatch(/math-worker/);
    expect(errors[1]).toBeInstanceOf(TimeoutError);
    expect(errors[2]).toBeInstanceOf(RangeError);
    expect(((errors[2] as Error).cause as Error).message).toBe("root cause");
    expect((errors[3] as Error).name).toBe("CustomError");
    expect((errors[3] as { code?: number }).code).toBe(42);
  });

  it("returns a real task per call: named, listed while pending, counting cancel requests", async () => {
    await withWorker(function* (worker) {
      const call = worker.api.add(1, 2);
      expect(call).toBeInstanceOf(Task);
      expect(call.getName()).toMatch(/^add#\d+$/);
      expect(allTasks().has(call)).toBe(true);
      call.setName("my sum");
      expect(call.getName()).toBe("my sum");
      expect(call.getCoro()).toBeNull();
      expect(yield* call).toBe(3);
      expect(allTasks().has(call)).toBe(false);

      const slow = worker.api.sleepy(1_000_000);
      yield* started(worker);
      expect(slow.cancel("once")).toBe(true);
      expect(slow.cancel("twice")).toBe(true); // a second request, sent once
      expect(slow.cancelling()).toBe(2);
      expect(slow.uncancel()).toBe(1);
      const error = yield* caught(slow);
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe("once");
      expect(slow.cancel()).toBe(false); // done
    });
  });

  it("fails the call whose argument cannot be cloned through its task, naming the argument, and sends nothing", async () => {
    const value = await withWorker(function* (worker) {
      const refused = worker.call("add", 1, (() => 2) as never); // never a synchronous throw
      expect(worker.pendingCalls).toBe(0);
      const error = yield* caught(refused);
      expect(error).toBeInstanceOf(DataCloneError);
      expect((error as Error).message).toMatch(/argument 2 \(function/);
      const resultError = yield* caught(worker.api.unclonableResult());
      expect(resultError).toBeInstanceOf(DataCloneError);
      return yield* worker.api.add(1, 2); // unaffected
    });
    expect(value).toBe(3);
  });

  it("fails only the call whose argument cannot be cloned deep inside, wherever it falls in a batch", async () => {
    const outcomes = await withWorker(function* (worker) {
      // 40 calls in one iteration: the 32nd fills a batch, which is sent at once.
      const calls = Array.from({ length: 40 }, (_, i) => worker.call("add", i === 31 ? ({ deep: () => 1 } as never) : i, 1));
      const settled = yield* gather(...calls, { returnExceptions: true });
      expect(worker.pendingCalls).toBe(0);
      return settled;
    });
    expect(outcomes[31]).toBeInstanceOf(DataCloneError);
    expect(outcomes.filter((outcome, i) => i !== 31)).toEqual(Array.from({ length: 39 }, (_, i) => (i < 31 ? i : i + 1) + 1));
  });

  it("lists what the worker exposes when a name is not exposed", async () => {
    const error = await withWorker(function* (worker) {
      try {
        // @ts-expect-error "fibb" is not a name the worker's Api has: the type says so
        yield* worker.call("fibb", 10);
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(error).toBeInstanceOf(NotExposedError);
    expect((error as Error).message).toMatch(/No function "fibb" is exposed.*"add", "sleepy"/);
  });

  it("moves a 64 MiB buffer without copying it", async () => {
    const seen = await withWorker(function* (worker) {
      const bytes = new Uint8Array(64 * 1024 * 1024);
      bytes[0] = 1;
      bytes[bytes.length - 1] = 2;
      const task = worker.api.inspect(transfer(bytes, [bytes.buffer]));
      expect(bytes.byteLength).toBe(0); // detached: moved, not copied
      const returned = yield* worker.api.makeBuffer(16);
      expect(Array.from(returned)).toEqual(new Array(16).fill(7));
      return yield* task;
    });
    expect(seen).toEqual({ length: 64 * 1024 * 1024, first: 1, last: 2 });
  });

  it("lets the worker call the main thread, which calls the worker again (nested)", async () => {
    const value = await withWorker(function* (worker) {
      return yield* worker.api.askParent(21);
    });
    expect(value).toBe(42);
  });

  it("fails every pending call at once when the worker crashes", async () => {
    await run(
      (function* (): Coro<void> {
        const worker = spawnWorker<Api>(mathWorkerUrl);
        yield* worker.ready();
        const pending = [worker.api.sleepy(1_000_000), worker.api.cleanupWaits()];
        yield* worker.api.crashSoon();
        for (const task of pending) {
          const error = yield* caught(task);
          expect(error).toBeInstanceOf(WorkerCrashedError);
          expect((error as Error).message).toMatch(/crashed.*boom at top level|exited/);
        }
        expect(worker.exited).toBe(true);
        expect(yield* caught(worker.api.add(1, 2))).toBeInstanceOf(WorkerCrashedError); // through the task, not thrown
      })(),
    );
  });

  it("delivers an answer the worker sent just before it crashed", async () => {
    await run(
      (function* (): Coro<void> {
        const worker = spawnWorker<Api>(mathWorkerUrl);
        yield* worker.ready();
        const answered = worker.api.crashSoon(); // answers, then throws at top level 5 ms later
        const pending = worker.api.sleepy(1_000_000);
        yield* sleep(0); // the calls go out
        // Keep this thread busy until the worker has answered and died, so the answer
        // and the crash notice both wait here: the answer must still win. (This cannot
        // force the order in which Node hands the two over; it holds the contract.)
        const until = performance.now() + 300;
        while (performance.now() < until);
        expect(yield* answered).toBe("will crash");
        expect(yield* caught(pending)).toBeInstanceOf(WorkerCrashedError);
      })(),
    );
  });

  it("fails pending calls with the exit code when the worker exits", async () => {
    await run(
      (function* (): Coro<void> {
        const worker = spawnWorker<Api>(mathWorkerUrl);
        yield* worker.ready();
        const pending = worker.api.sleepy(1_000_000);
        yield* worker.api.exitSoon(3);
        const error = yield* caught(pending);
        expect(error).toBeInstanceOf(WorkerCrashedError);
      })(),
    );
  });

  it("fails pending calls when terminated, and closes gracefully otherwise", async () => {
    await run(
      (function* (): Coro<void> {
        const worker = spawnWorker<Api>(mathWorkerUrl);
        yield* worker.ready();
        const pending = worker.api.sleepy(1_000_000);
        worker.terminate();
        const error = yield* caught(pending);
        expect(error).toBeInstanceOf(WorkerCrashedError);
        expect((error as Error).message).toMatch(/terminated/);

        const graceful = spawnWorker<Api>(mathWorkerUrl);
        yield* graceful.ready();
        const running = graceful.api.sleepy(1_000_000);
        yield* started(graceful);
        yield* graceful.close();
        const closeError = yield* caught(running);
        expect(closeError).toBeInstanceOf(CancelledError); // cancelled by the close, after its finally ran
        expect(graceful.exited).toBe(true);
      })(),
    );
  });

  it("runs coroutines with runCoroutineThreadsafe and callbacks with callSoonThreadsafe", async () => {
    const value = await withWorker(function* (worker) {
      const future = runCoroutineThreadsafe<number>(worker, "add", 20, 22);
      callSoonThreadsafe(worker, "note", "called soon");
      // Messages keep their order, and the callback runs before the next call's task.
      expect(yield* worker.api.events()).toEqual(["called soon"]);
      return yield* future;
    });
    expect(value).toBe(42);
  });

  it("cancels a call the worker made to the main thread, from the worker's side", async () => {
    mainEvents.length = 0;
    const outcome = await withWorker(function* (worker) {
      return yield* worker.api.cancelCallToParent();
    });
    expect(outcome).toBe("CancelledError: worker changed its mind");
    expect(mainEvents).toEqual(["parentSleeps finally"]);
  });

  it("lets sibling workers call each other over a port handed to each", async () => {
    const value = await withWorker(function* (first) {
      const second = spawnWorker<Api>(mathWorkerUrl);
      try {
        const { port1, port2 } = createChannel();
        yield* first.api.connectSibling(transfer(port1 as object, [port1 as Transferable]));
        yield* second.api.connectSibling(transfer(port2 as object, [port2 as Transferable]));
        return yield* first.api.askSibling(5); // first → second, not through the main thread
      } finally {
        yield* second.close();
      }
    });
    expect(value).toBe(15);
  });

  it("needs a running loop to spawn", () => {
    expect(() => spawnWorker(mathWorkerUrl)).toThrow(/no running event loop/);
  });
});
