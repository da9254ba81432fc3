import { describe, expect, it } from "vitest";
import {
  type CallGraph,
  type Coro,
  Lock,
  Queue,
  captureCallGraph,
  createTask,
  gather,
  getRunningLoop,
  RuntimeError,
  printCallGraph,
  sleep,
  taskGroup,
} from "../../src/index.js";
import { runV } from "../support/harness.js";

/** A graph without ids and frames: what a program's shape decides. */
function shape(graph: CallGraph): unknown {
  return {
    task: graph.future.name,
    state: graph.future.state,
    awaiting: graph.future.awaiting === null ? null : `${graph.future.awaiting.kind}: ${graph.future.awaiting.description}`,
    awaitedBy: graph.awaitedBy.map(shape),
  };
}

describe("captureCallGraph", () => {
  it("describes the current task with its live call stack, and who awaits it", async () => {
    let graph: CallGraph | null = null;
    function* inner(): Coro<void> {
      graph = captureCallGraph();
    }
    function* child(): Coro<void> {
      yield* sleep(1);
      yield* inner();
    }
    await runV(function* main() {
      const task = createTask(child(), { name: "child" });
      yield* task;
    });
    expect(shape(graph!)).toEqual({
      task: "child",
      state: "pending",
      awaiting: null,
      awaitedBy: [{ task: "main", state: "pending", awaiting: "task: child", awaitedBy: [] }],
    });
    expect(graph!.callStack.map((frame) => frame.name).slice(0, 2)).toEqual(["inner", "child"]);
    expect(graph!.callStack[0]!.line).toBeGreaterThan(0);
    expect(graph!.callStack[0]!.file).toMatch(/call-graph\.test\.ts/);
  });

  it("sees a TaskGroup's children, a lock held by another task, a queue and a gather", async () => {
    const graphs: Record<string, CallGraph | null> = {};
    await runV(function* main() {
      const lock = new Lock();
      const queue = new Queue<number>();
      yield* lock.acquire();
      yield* taskGroup(function* (tg) {
        const locker = tg.createTask(
          (function* locker(): Coro<void> {
            yield* lock.acquire();
            lock.release();
          })(),
          { name: "locker" },
        );
        const getter = tg.createTask(queue.get(), { name: "getter" });
        const gatherer = tg.createTask(
          (function* gatherer(): Coro<unknown> {
            return yield* gather(sleep(50), sleep(60));
          })(),
          { name: "gatherer" },
        );
        yield* sleep(10);
        graphs.locker = captureCallGraph(locker);
        graphs.getter = captureCallGraph(getter);
        graphs.gatherer = captureCallGraph(gatherer);
        lock.release();
        queue.putNowait(1);
      });
    });
    // main is the task capturing: running, so awaiting nothing.
    const main = { task: "main", state: "pending", awaiting: null, awaitedBy: [] };
    expect(shape(graphs.locker!)).toEqual({ task: "locker", state: "pending", awaiting: expect.stringMatching(/^Lock: <Lock .*locked/), awaitedBy: [main] });
    expect(shape(graphs.getter!)).toEqual({ task: "getter", state: "pending", awaiting: expect.stringMatching(/^Queue\.get: /), awaitedBy: [main] });
    expect(shape(graphs.gatherer!)).toEqual({ task: "gatherer", state: "pending", awaiting: "gather: gather of 2", awaitedBy: [main] });
  });

  it("records where each task waits in debug mode only, and nothing for a task that is done", async () => {
    function* deep(n: number): Coro<void> {
      if (n === 0) yield* sleep(100);
      else yield* deep(n - 1);
    }
    for (const debug of [true, false]) {
      let frames: string[] = [];
      let afterwards: unknown;
      await runV(
        function* main() {
          const task = createTask(deep(3), { name: "deep" });
          yield* sleep(10);
          frames = captureCallGraph(task)!.callStack.map((frame) => frame.name);
          yield* task;
          afterwards = task.getStack();
        },
        { debug },
      );
      // The sleep is written by hand (no frame of its own): the stack begins where it is awaited.
      expect(frames).toEqual(debug ? ["deep", "deep", "deep", "deep"] : []);
      expect(afterwards).toEqual([]);
    }
  });

  it("records the frames of a task waiting in a queue's get or put, or on a lock", async () => {
    const frames: Record<string, string[]> = {};
    await runV(
      function* main() {
        const empty = new Queue<number>();
        const full = new Queue<number>(1);
        full.putNowait(0);
        const lock = new Lock();
        yield* lock.acquire();
        const tasks = {
          getter: createTask((function* consumer(): Coro<number> {
            return yield* empty.get();
          })()),
          putter: createTask((function* producer(): Coro<void> {
            yield* full.put(1);
          })()),
          locker: createTask((function* guarded(): Coro<void> {
            yield* lock.acquire();
            lock.release();
          })()),
        };
        yield* sleep(10);
        for (const [name, task] of Object.entries(tasks)) frames[name] = task.getStack().map((frame) => frame.name);
        empty.putNowait(1);
        full.getNowait();
        lock.release();
        yield* gather(...Object.values(tasks));
      },
      { debug: true },
    );
    // The coroutine that waits in the queue first: a get or put that must wait is
    // the library's hand-written coroutine, whose steps are no frame of the task.
    expect(frames.getter![0]).toBe("consumer");
    expect(frames.putter![0]).toBe("producer");
    expect(frames.locker).toContain("guarded");
  });

  it("formats a graph as asyncio's format_call_graph does, and prints nothing outside a task", async () => {
    let text = "";
    await runV(function* main() {
      const task = createTask(
        (function* worker(): Coro<void> {
          yield* sleep(100);
        })(),
        { name: "worker" },
      );
      createTask(
        (function* observer(): Coro<void> {
          yield* sleep(10);
          printCallGraph(task, { write: (t) => (text = t) });
          task.cancel();
        })(),
      );
      try {
        yield* task;
      } catch {
        // cancelled by the observer
      }
    }, { debug: true });
    expect(text.split("\n")[0]).toMatch(/^\* Task\(name='worker', id=\d+\) awaiting sleep 100 ms$/);
    expect(text).toMatch(/\+ Call stack:\n\|   at worker \(.*call-graph\.test\.ts[^:]*:\d+:\d+\)/);
    expect(text).toMatch(/\+ Awaited by:\n   \* Task\(name='main', id=\d+\) awaiting task worker\n\s+\+ Call stack:\n\s+\|   at main \(/);
    // In a plain callback there is no task to describe; outside a loop, asyncio's RuntimeError.
    let printed = false;
    await runV(function* main() {
      const loop = getRunningLoop();
      loop.callSoon(() => printCallGraph(undefined, { write: () => (printed = true) }));
      yield* sleep(1);
    });
    expect(printed).toBe(false);
    expect(() => captureCallGraph()).toThrow(RuntimeError);
  });
});
