import { describe, expect, it } from "vitest";
import { type Coro, EventLoop, type TaskTreeNode, type ThreadTree, type WorkerHandle, captureTaskTree, createTask, formatTaskTree, gather, run, sleep, spawnWorker, WorkerCrashedError } from "../../src/index.js";
import type { api as TreeApi } from "./fixtures/tree-worker.js";
import { mistypedTreeCutDown } from "../support/hostile-trees.js";

const treeWorkerUrl = new URL("./fixtures/tree-worker.ts", import.meta.url);

/** A node as `name: awaiting`, with its children: what a program's shape decides. */
function shape(node: TaskTreeNode): unknown {
  const awaiting = node.awaiting === null ? "" : ` awaiting ${node.awaiting.kind}`;
  const where = node.thread === undefined ? "" : `[${node.thread}] `;
  return node.children.length === 0 ? `${where}${node.name}${awaiting}` : { [`${where}${node.name}${awaiting}`]: node.children.map(shape) };
}

function findTask(tree: ThreadTree, name: string): TaskTreeNode | undefined {
  const visit = (nodes: readonly TaskTreeNode[]): TaskTreeNode | undefined => {
    for (const node of nodes) {
      if (node.name === name) return node;
      const found = visit(node.children);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(tree.tasks) ?? tree.threads.map((t) => findTask(t, name)).find((n) => n !== undefined);
}

// Real workers, nested ones among them: under a loaded CI run a test takes several
// seconds, and a capture here may wait up to its own 5 s timeout.
/**
 * A capture whose test needs the answer waits up to this long: a worker that can
 * answer does so in milliseconds, but on a loaded machine a 20 000-task answer took
 * over 5 s. Only the tests of an unresponsive worker use a short timeout.
 */
const ANSWER_WITHIN = 20_000;

/** Whether the relay test's calls have reached the places it shows them waiting. */
function reachedEverywhere(text: string): boolean {
  return /\[worker nested\] Task\(name='render#1 \(served\)', id=\d+\) awaiting sleep/.test(text) && /awaiting Lock/.test(text);
}

describe("captureTaskTree", { timeout: 60_000 }, () => {
  it("shows this thread's tasks from the ones nobody awaits down", async () => {
    const tree = await run(function* main(): Coro<ThreadTree> {
      const sleeper = createTask(sleep(100), { name: "sleeper" });
      createTask(
        (function* watcher(): Coro<void> {
          yield* sleeper;
        })(),
        { name: "watcher" },
      );
      yield* sleep(5);
      const tree = yield* captureTaskTree();
      sleeper.cancel();
      return tree;
    }());
    expect(tree.thread).toBe("main thread");
    expect(tree.threads).toEqual([]);
    expect(tree.tasks.map(shape)).toEqual(expect.arrayContaining(["main", { "watcher awaiting task": ["sleeper awaiting sleep"] }]));
    expect(tree.tasks).toHaveLength(2);
    expect(JSON.parse(JSON.stringify(tree))).toEqual(tree); // plain data
  });

  it("links a remote call three threads deep to the tasks serving it", async () => {
    const { tree, text } = await run(function* main(): Coro<{ tree: ThreadTree; text: string }> {
      const worker = spawnWorker<typeof TreeApi>(treeWorkerUrl, { name: "outer" });
      try {
        yield* worker.ready();
        yield* worker.api.startNested();
        const relayed = worker.api.relay(2000);
        const grouped = worker.api.group(2000);
        yield* worker.api.render(0); // calls start in order: the two before have begun
        // Captured again until the relayed call waits in the nested worker and the
        // group's waiter at its lock: how long that takes is the machine's business.
        let tree = yield* captureTaskTree({ threads: true, timeout: ANSWER_WITHIN });
        for (let tries = 0; !reachedEverywhere(formatTaskTree(tree)) && tries < 500; tries++) {
          yield* sleep(20);
          tree = yield* captureTaskTree({ threads: true, timeout: ANSWER_WITHIN });
        }
        relayed.cancel();
        grouped.cancel();
        yield* worker.api.closeNested();
        return { tree, text: formatTaskTree(tree) };
      } finally {
        yield* worker.close();
      }
    }());
    const relay = findTask(tree, "relay#2")!;
    expect(shape(relay)).toEqual({
      "relay#2": [{ "[worker outer] relay#2 (served) awaiting task": [{ "render#1": ["[worker nested] render#1 (served) awaiting sleep"] }] }],
    });
    expect(relay.remote).toEqual({ thread: "worker outer", function: "relay", callId: 2 });
    const group = findTask(tree, "group#3 (served)")!;
    expect(shape(group)).toEqual({
      "[worker outer] group#3 (served) awaiting TaskGroup": ["holder awaiting sleep", "waiter awaiting Lock"],
    });
    // Each worker is listed once, its served tasks not repeated at its top level.
    expect(tree.threads.map((t) => [t.thread, t.status, t.tasks.map((n) => n.name)])).toEqual([["worker outer", "answered", ["serve"]]]);
    expect(tree.threads[0]!.threads.map((t) => [t.thread, t.status, t.tasks.map((n) => n.name)])).toEqual([["worker nested", "answered", ["serve"]]]);
    expect(text).toMatch(/^main thread\n/);
    expect(text).toMatch(/→ relay\(\) on worker outer\n.*\[worker outer\] Task\(name='relay#2 \(served\)'/);
    expect(text).toMatch(/\[worker nested\] Task\(name='render#1 \(served\)', id=\d+\) awaiting sleep 2000 ms/);
  });

  it("shows a worker busy in synchronous code as unresponsive, without holding up the caller", async () => {
    const tree = await run(function* main(): Coro<ThreadTree> {
      const worker = spawnWorker<typeof TreeApi>(treeWorkerUrl, { name: "busy" });
      // The worker spins until this thread says stop: the capture cannot have waited for it.
      const stop = new Int32Array(new SharedArrayBuffer(4));
      try {
        yield* worker.ready();
        const spinning = worker.api.spinUntil(stop);
        yield* sleep(100);
        const tree = yield* captureTaskTree({ threads: true, timeout: 200 });
        expect(spinning.done()).toBe(false);
        Atomics.store(stop, 0, 1);
        yield* spinning;
        // Once the loop turns again, it answers.
        const after = yield* captureTaskTree({ threads: true, timeout: ANSWER_WITHIN });
        expect(after.threads[0]!.status).toBe("answered");
        return tree;
      } finally {
        Atomics.store(stop, 0, 1);
        yield* worker.close();
      }
    }());
    expect(tree.threads.map((t) => [t.thread, t.status])).toEqual([["worker busy", "unresponsive"]]);
    expect(findTask(tree, "spinUntil#1")?.remote?.function).toBe("spinUntil");
  });

  it("leaves no question behind when a capture is cancelled while a worker is busy", async () => {
    const left = await run(function* main(): Coro<number> {
      const worker = spawnWorker<typeof TreeApi>(treeWorkerUrl, { name: "busy" });
      try {
        yield* worker.ready();
        const spinning = worker.api.spin(500);
        yield* sleep(50);
        const capture = createTask(captureTaskTree({ threads: true, timeout: 5000 }));
        yield* sleep(50);
        capture.cancel();
        yield* gather(capture, { returnExceptions: true });
        yield* spinning;
        return (worker.connection as unknown as { treeAsks: Map<number, unknown> }).treeAsks.size;
      } finally {
        yield* worker.close();
      }
    }());
    expect(left).toBe(0);
  });

  it("passes a nested worker's answer up unread, and checks it where the capture began", async () => {
    const trees = await run(function* main(): Coro<Record<string, ThreadTree>> {
      const worker = spawnWorker<typeof TreeApi>(treeWorkerUrl, { name: "outer" });
      const trees: Record<string, ThreadTree> = {};
      try {
        yield* worker.ready();
        for (const kind of ["mistyped", "huge"]) {
          yield* worker.api.startHostile(kind);
          trees[kind] = yield* captureTaskTree({ threads: true, timeout: ANSWER_WITHIN });
        }
        yield* worker.api.closeNested();
      } finally {
        yield* worker.close();
      }
      return trees;
    }());
    const hostile = (kind: string): ThreadTree => trees[kind]!.threads[0]!.threads[0]!;
    expect(trees.huge!.threads[0]!.status).toBe("answered");
    // What the outer worker passed up is cut down exactly as a direct answer is.
    expect(hostile("mistyped")).toEqual(mistypedTreeCutDown);
    // One budget of 5000 tasks for all that came from the outer worker, its own included.
    const count = (nodes: readonly TaskTreeNode[]): number => nodes.reduce((n, node) => n + 1 + count(node.children), 0);
    const outer = trees.huge!.threads[0]!;
    expect(count(outer.tasks)).toBeGreaterThan(0);
    expect(count(outer.tasks) + hostile("huge").tasks.length).toBe(5000);
    expect(hostile("huge").omitted).toBe(20_000 - hostile("huge").tasks.length);
    expect(hostile("huge").tasks[0]!.name.length).toBe(500);
  });

  it("settles nothing on a loop that closed while its capture waited, when the worker ends afterwards", async () => {
    const loop = new EventLoop();
    const reported: string[] = [];
    loop.setExceptionHandler((_loop, context) => reported.push(context.message));
    let worker!: WorkerHandle<typeof TreeApi>;
    loop.createTask(
      (function* (): Coro<void> {
        worker = spawnWorker<typeof TreeApi>(treeWorkerUrl, { name: "busy" });
        yield* worker.ready();
        worker.api.spin(300); // its loop is busy: the question waits unanswered
        createTask(captureTaskTree({ threads: true, timeout: 5000 }));
        yield* sleep(20);
        loop.stop();
      })(),
    );
    await loop.runForever();
    loop.close(); // the capture and the spin are still waiting
    expect(() => worker.terminate()).not.toThrow();
    expect(worker.exited).toBe(true);
    expect(reported.some((message) => message.startsWith("Task was destroyed but it is pending!"))).toBe(true);
  });

  it("shows a worker that has died as gone", async () => {
    const tree = await run(function* main(): Coro<ThreadTree> {
      const worker = spawnWorker<typeof TreeApi>(treeWorkerUrl, { name: "doomed" });
      yield* worker.ready();
      const pending = worker.api.render(10_000);
      const asking = createTask(captureTaskTree({ threads: true, timeout: 5000 }));
      yield* sleep(0); // the question is out
      worker.terminate();
      const tree = yield* asking;
      yield* sleep(10);
      expect(pending.exception()).toBeInstanceOf(WorkerCrashedError);
      return tree;
    }());
    expect(tree.threads.map((t) => [t.thread, t.status])).toEqual([["worker doomed", "gone"]]);
  });
});
