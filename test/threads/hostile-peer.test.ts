import { describe, expect, it } from "vitest";
import {
  type Coro,
  DataCloneError,
  type Endpoint,
  type ExceptionContext,
  NotExposedError,
  ProtocolError,
  QueueFull,
  TimeoutError,
  WorkerCrashedError,
  WorkerPool,
  callSoonThreadsafe,
  gather,
  getRunningLoop,
  run,
  sleep,
  spawnWorker,
  transfer,
  waitFor,
  type WorkerHandle,
  type TaskTreeNode,
  type ThreadTree,
  captureTaskTree,
} from "../../src/index.js";
import { PROTOCOL_TAG } from "../../src/threads/protocol.js";
import type { api as HostileApi } from "./fixtures/hostile-worker.js";
import type { api as MathApi } from "./fixtures/math-worker.js";
import { caught } from "../support/harness.js";
import { hostileWorkerUrl, mathWorkerUrl } from "./fixtures/worker-url.js";
import { mistypedTreeCutDown } from "../support/hostile-trees.js";

type Hostile = WorkerHandle<typeof HostileApi>;

/** Runs `body` with a hostile worker, recording what reaches this loop's exception handler. */
function withHostile<T>(body: (worker: Hostile, reported: ExceptionContext[]) => Coro<T>, options: { cancelGrace?: number } = {}): Promise<T> {
  return run(
    (function* (): Coro<T> {
      const reported: ExceptionContext[] = [];
      getRunningLoop().setExceptionHandler((_loop, context) => {
        reported.push(context);
      });
      const worker = spawnWorker<typeof HostileApi>(hostileWorkerUrl, { name: "hostile", ...options });
      try {
        yield* worker.ready();
        return yield* body(worker, reported);
      } finally {
        yield* worker.close();
      }
    })(),
  );
}

/** The raw channel under a connection, to send what the protocol's writer never would. */
function rawEndpoint(worker: WorkerHandle<unknown>): Endpoint {
  return (worker.connection as unknown as { endpoint: Endpoint }).endpoint;
}

const malformedEnvelopes: unknown[][] = [
  [PROTOCOL_TAG, 99],
  [PROTOCOL_TAG, 1, 7, "add", -3],
  [PROTOCOL_TAG, 4],
  [PROTOCOL_TAG, 5, 1, { name: "E", message: "m", stack: "", cause: 5 }],
  [PROTOCOL_TAG, 7, "not a list"],
  [PROTOCOL_TAG, 4, 424242, "a reply for no call"],
  ["asyncio-ts/1", 1],
];

describe("the thread bridge against a hostile or broken peer", { timeout: 30_000 }, () => {
  it("rebuilds an error whose name collides with Object.prototype as an Error with that name, and survives", async () => {
    const names = ["toString", "valueOf", "__proto__", "hasOwnProperty", "constructor", "isPrototypeOf"];
    const errors = await withHostile(function* (worker) {
      const outcomes: unknown[] = [];
      for (const name of names) outcomes.push(yield* caught(worker.api.throwNamed(name)));
      outcomes.push(yield* caught(worker.api.throwNamed("QueueFull")));
      expect(yield* worker.api.add(1, 2)).toBe(3);
      return outcomes;
    });
    errors.slice(0, names.length).forEach((error, i) => {
      expect(error).toBeInstanceOf(Error);
      expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
      expect((error as Error).name).toBe(names[i]);
      expect((error as Error).message).toBe(`thrown with the name ${names[i]}`);
    });
    expect(errors[names.length]).toBeInstanceOf(QueueFull);
  });

  it("fails a call whose result cannot be cloned (a throwing getter, nesting too deep) with DataCloneError; the worker keeps serving", async () => {
    const [getter, deep, after] = await withHostile(function* (worker) {
      const getter = yield* caught(worker.api.getterResult());
      const deep = yield* caught(worker.api.deepResult(200_000));
      return [getter, deep, yield* worker.api.add(2, 2)] as const;
    });
    expect(getter).toBeInstanceOf(DataCloneError);
    expect((getter as Error).message).toMatch(/Cannot send the result.*getter boom/);
    expect(deep).toBeInstanceOf(DataCloneError);
    expect(after).toBe(4);
  });

  it("fails only the call whose argument cannot be cloned or moved, through its task; the batch's other calls go out", async () => {
    const outcomes = await withHostile(function* (worker) {
      const bytes = new Uint8Array(8);
      const getter = {
        get boom(): never {
          throw new Error("argument getter boom");
        },
      };
      let deep: object = {};
      for (let i = 0; i < 200_000; i++) deep = { deep };
      // One iteration: the bad ones fall between good ones, one of them with a transfer list.
      const calls = [
        worker.call("add", 1, 1),
        worker.call("add", transfer({ bytes, getter }, [bytes.buffer]) as never, 1),
        worker.call("add", 2, 2),
        worker.call("add", deep as never, 1),
        worker.call("add", 3, 3),
      ];
      expect(bytes.byteLength).toBe(8); // a failed send moved nothing
      return (yield* gather(...calls, { returnExceptions: true })) as unknown[];
    });
    expect([outcomes[0], outcomes[2], outcomes[4]]).toEqual([2, 4, 6]);
    expect(outcomes[1]).toBeInstanceOf(DataCloneError);
    expect((outcomes[1] as Error).message).toMatch(/argument 1 .*of add\(\)/);
    expect((outcomes[1] as Error).cause).toBeInstanceOf(Error);
    expect(outcomes[3]).toBeInstanceOf(DataCloneError);
  });

  it("drops and reports each malformed message from the worker, naming it, and keeps working", async () => {
    const reported = await withHostile(function* (worker, reported) {
      const pending = worker.api.sleepy(50);
      expect(yield* worker.api.sendRaw(malformedEnvelopes)).toBe(malformedEnvelopes.length);
      expect(yield* pending).toBe("slept");
      expect(yield* worker.api.add(5, 5)).toBe(10);
      return reported;
    });
    expect(reported).toHaveLength(malformedEnvelopes.length);
    for (const context of reported) {
      expect(context.exception).toBeInstanceOf(ProtocolError);
      expect(context.message).toMatch(/dropped a malformed message from worker hostile/);
    }
  });

  it("checks the task tree a worker sends: garbage, cycles, floods and depth are cut down to checked, bounded data", async () => {
    const trees = await withHostile(function* (worker) {
      const trees: Record<string, ThreadTree> = {};
      for (const kind of ["mistyped", "cyclic", "huge", "deep"]) {
        yield* worker.api.answerTreesWith(kind);
        trees[kind] = yield* captureTaskTree({ threads: true, timeout: 5000 });
      }
      expect(yield* worker.api.add(2, 3)).toBe(5);
      return trees;
    });
    const worker = (kind: string): ThreadTree => trees[kind]!.threads[0]!;
    // Only the node whose every field checks out is kept; the names are the asker's.
    expect(worker("mistyped")).toEqual(mistypedTreeCutDown);
    // A forged servesCall links nothing: this side had no call out to it.
    expect(trees.mistyped!.tasks.every((node) => node.children.length === 0 || node.remote !== null)).toBe(true);
    const count = (nodes: readonly TaskTreeNode[]): number => nodes.reduce((n, node) => n + 1 + count(node.children), 0);
    expect(count(worker("cyclic").tasks)).toBeLessThanOrEqual(100);
    expect(worker("huge").tasks.length).toBe(5000);
    expect(worker("huge").omitted).toBe(15_000);
    expect(worker("huge").tasks[0]!.name.length).toBe(500);
    expect(count(worker("deep").tasks)).toBe(65);
    expect(worker("deep").omitted).toBe(1);
  });

  it("does not share the main thread's tasks with a worker that asks for them", async () => {
    const [answers, reports] = await withHostile(function* (worker, reported) {
      const answers = yield* worker.api.askParentForTree();
      return [answers, reported];
    });
    expect(answers).toEqual([{ status: "refused", tree: null }]);
    expect(reports).toEqual([]);
  });

  it("serves on in the worker when the parent sends it malformed messages", async () => {
    const seen = await withHostile(function* (worker) {
      for (const envelope of malformedEnvelopes) rawEndpoint(worker).postMessage(envelope);
      expect(yield* worker.api.add(1, 1)).toBe(2);
      return yield* worker.api.reports();
    });
    expect(seen).toHaveLength(malformedEnvelopes.length);
    for (const line of seen) expect(line).toMatch(/^ProtocolError: asyncio-ts dropped a malformed message from the parent thread/);
  });

  it("never runs a name the worker did not expose, by call or callSoon (Object.prototype's included)", async () => {
    const [callErrors, seen] = await withHostile(function* (worker) {
      const hostile = ["toString", "constructor", "__proto__", "hasOwnProperty"];
      for (const name of hostile) callSoonThreadsafe(worker, name);
      const callErrors: unknown[] = [];
      for (const name of hostile) callErrors.push(yield* caught(worker.call(name as never)));
      return [callErrors, yield* worker.api.reports()] as const;
    });
    for (const error of callErrors) expect(error).toBeInstanceOf(NotExposedError);
    expect(seen).toHaveLength(4);
    for (const line of seen) expect(line).toMatch(/^NotExposedError: callSoonThreadsafe from the parent thread: No function/);
  });

  it("does not let a forged 'closed' leave a live worker behind: the worker is ended, its calls fail", async () => {
    await run(
      (function* (): Coro<void> {
        const worker = spawnWorker<typeof HostileApi>(hostileWorkerUrl, { name: "forger" });
        yield* worker.ready();
        const pending = worker.api.sleepy(1_000_000);
        const forging = worker.api.sendRaw([[PROTOCOL_TAG, 9]]);
        expect(yield* caught(forging)).toBeInstanceOf(WorkerCrashedError);
        expect(yield* caught(pending)).toBeInstanceOf(WorkerCrashedError);
        expect(worker.exited).toBe(true);
        expect(yield* caught(worker.api.add(1, 1))).toBeInstanceOf(WorkerCrashedError);
      })(),
    );
  });

  it("with cancelGrace, bounds a call into a worker stuck in a synchronous loop: waitFor holds, the worker is terminated", async () => {
    const [timedOut, other, exited] = await withHostile(
      function* (worker) {
        const other = worker.api.sleepy(1_000_000);
        const timedOut = yield* caught(waitFor(worker.api.spin(60_000), 50));
        return [timedOut, yield* caught(other), worker.exited] as const;
      },
      { cancelGrace: 100 },
    );
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect(other).toBeInstanceOf(WorkerCrashedError);
    expect((other as Error).message).toMatch(/did not finish unwinding within cancelGrace \(100 ms\)/);
    expect(exited).toBe(true);
  });

  it("with cancelGrace, a pool replaces the worker it had to terminate and keeps serving", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<typeof HostileApi>(hostileWorkerUrl, { size: 1, cancelGrace: 100 });
        try {
          expect(yield* caught(waitFor(pool.api.spin(60_000), 50))).toBeInstanceOf(TimeoutError);
          expect(yield* pool.api.add(20, 22)).toBe(42);
          expect(pool.workers).toBe(1);
        } finally {
          yield* pool.shutdown();
        }
      })(),
    );
  });
});

describe("shutdown and close under cancellation", { timeout: 30_000 }, () => {
  it("finishes a cancelled WorkerPool.shutdown() on the next call, which waits for the end", async () => {
    await run(
      (function* (): Coro<void> {
        const pool = new WorkerPool<typeof MathApi>(mathWorkerUrl, { size: 1 });
        const call = pool.api.sleepy(200);
        expect(yield* caught(waitFor(pool.shutdown(), 20))).toBeInstanceOf(TimeoutError);
        expect(pool.workers).toBe(1); // still serving what was queued
        const second = pool.shutdown();
        const third = pool.shutdown(); // a concurrent one waits as well, not returning early
        yield* gather(second, third);
        expect(pool.workers).toBe(0);
        expect(yield* call).toBe("slept");
      })(),
    );
  });

  it("ends the worker when a close() is cancelled, and a later close() returns", async () => {
    await run(
      (function* (): Coro<void> {
        const worker = spawnWorker<typeof MathApi>(mathWorkerUrl);
        yield* worker.ready();
        const cleanup = worker.api.cleanupWaits(); // its finally waits 30 ms
        yield* worker.api.add(0, 0);
        expect(yield* caught(waitFor(worker.close(), 5))).toBeInstanceOf(TimeoutError);
        expect(worker.exited).toBe(true);
        expect(yield* caught(cleanup)).toBeInstanceOf(WorkerCrashedError);
        yield* worker.close();
        yield* sleep(0);
      })(),
    );
  });
});
