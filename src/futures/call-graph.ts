import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { awaiterThrough } from "./awaited-by.js";
import { allTasks } from "./current-task.js";
import { type FrameInfo, captureStack, coroutineFrames, formatFrame } from "./frames.js";
import { Future } from "./future.js";
import { type RemoteCallInfo, Task } from "./task.js";

/** A task's (or future's) state in a captured graph. */
export type TaskState = "pending" | "finished" | "failed" | "cancelled";

/** What a task waits on at the moment of the capture. */
export interface WaitInfo {
  /** `"task"`, `"gather"`, `"sleep"`, `"TaskGroup"`, `"Lock"`, `"Queue.get"`, …, or `"future"`. */
  readonly kind: string;
  /** A short description: the task's name, `sleep(100)`, `<Lock [locked, waiters:1]>`. */
  readonly description: string;
}

/** One task (or future) as captured: plain data, safe to serialise and send. */
export interface TaskInfo {
  /** `"task"`, or `"future"` for a future that is not a task. */
  readonly kind: "task" | "future";
  /** Stable for the object's lifetime on its thread (not across threads). */
  readonly id: number;
  /** The task's name; a future's description. */
  readonly name: string;
  /** Whether it is still pending, or how it ended. */
  readonly state: TaskState;
  /** What it waits on, or `null` (running, or ready to run). */
  readonly awaiting: WaitInfo | null;
  /** Its coroutine frames, innermost first (see `Task.getStack` for what JS can know). */
  readonly frames: readonly FrameInfo[];
  /** For a call to another thread: where it went. */
  readonly remote: RemoteCallInfo | null;
}

/**
 * asyncio's `FutureCallGraph`: a future or task, its call stack, and the graphs
 * of the tasks that await it — upward, to the task nobody awaits.
 */
export interface CallGraph {
  /** The future or task described. */
  readonly future: TaskInfo;
  /** Its coroutine frames, innermost first. */
  readonly callStack: readonly FrameInfo[];
  /** The graph of each task awaiting it. */
  readonly awaitedBy: readonly CallGraph[];
}

/** Options of `captureCallGraph`. */
export interface CallGraphOptions {
  /** At most this many frames per call stack (all by default). */
  limit?: number;
}

const ids = new WeakMap<object, number>();
let lastId = 0;

function idOf(value: object): number {
  let id = ids.get(value);
  if (id === undefined) ids.set(value, (id = ++lastId));
  return id;
}

function stateOf(future: Future<unknown>): TaskState {
  if (!future.done()) return "pending";
  if (future.cancelled()) return "cancelled";
  return future._succeeded() ? "finished" : "failed";
}

/** What waiting on `future` means, in words. */
export function describeWait(future: Future<unknown>): WaitInfo {
  if (future instanceof Task) return { kind: "task", description: future.getName() };
  return future._describeWait() ?? { kind: "future", description: String(future) };
}

/** @internal A captured task or future; frames as `frames(f)` gives them. */
export function describeFuture(future: Future<unknown>, frames: readonly FrameInfo[]): TaskInfo {
  const isTask = future instanceof Task;
  const waitingOn = isTask ? future._waitingOn() : null;
  return {
    kind: isTask ? "task" : "future",
    id: idOf(future),
    name: isTask ? future.getName() : describeWait(future).description,
    state: stateOf(future),
    awaiting: waitingOn === null ? null : describeWait(waitingOn),
    frames,
    remote: isTask ? future._remoteCall() : null,
  };
}

/**
 * @internal Who awaits what among a loop's pending tasks, found by looking, not
 * recorded: a task awaits what its coroutine yielded (through a gather, each of
 * its children), and a TaskGroup's parent awaits the group's children.
 */
export interface AwaitGraph {
  /** The pending tasks, oldest first. */
  readonly tasks: readonly Task<unknown>[];
  /** For each task, the tasks it awaits. */
  readonly awaits: ReadonlyMap<Task<unknown>, readonly Task<unknown>[]>;
  /** For each future or task, the tasks that await it. */
  readonly awaitedBy: ReadonlyMap<Future<unknown>, readonly Task<unknown>[]>;
}

/** @internal Builds the await graph of `loop`'s pending tasks. */
export function awaitGraph(loop: EventLoop): AwaitGraph {
  const tasks = [...allTasks(loop)].reverse(); // oldest first: the list keeps the newest at its head
  const awaits = new Map<Task<unknown>, Task<unknown>[]>();
  const awaitedBy = new Map<Future<unknown>, Task<unknown>[]>();
  const link = (waiter: Task<unknown>, future: Future<unknown>): void => {
    const by = awaitedBy.get(future);
    if (by === undefined) awaitedBy.set(future, [waiter]);
    else if (!by.includes(waiter)) by.push(waiter);
    if (future instanceof Task) {
      const list = awaits.get(waiter);
      if (list === undefined) awaits.set(waiter, [future]);
      else if (!list.includes(future)) list.push(future);
    }
  };
  for (const task of tasks) {
    // What it yielded, and what that stands for (a gather's children, nested).
    const pending: Future<unknown>[] = [];
    const waitingOn = task._waitingOn();
    if (waitingOn !== null) pending.push(waitingOn);
    const seen = new Set<Future<unknown>>();
    while (pending.length > 0) {
      const future = pending.pop()!;
      if (seen.has(future)) continue;
      seen.add(future);
      link(task, future);
      const inner = future._awaitedFutures();
      if (inner !== null) for (const f of inner) if (!f.done()) pending.push(f);
    }
    // Awaited by a task that waits elsewhere (a TaskGroup's parent).
    for (const callback of task._callbacks()) {
      const awaiter = awaiterThrough(callback);
      if (awaiter instanceof Task && !awaiter.done() && awaiter !== task) link(awaiter, task);
    }
  }
  return { tasks, awaits, awaitedBy };
}

/** @internal The frames of `future` as a capture shows them. */
export function framesOf(future: Future<unknown>, limit?: number): FrameInfo[] {
  return future instanceof Task ? future.getStack(limit) : [];
}

/**
 * What a future or task is doing and who waits for it, as plain data (asyncio
 * 3.14's `capture_call_graph`): the task's info and call stack, then, for each task
 * awaiting it — directly, through `gather`, or as the parent of its `TaskGroup` —
 * the same, up to the tasks nobody awaits. With no argument it describes the
 * current task, with its live call stack; `null` outside a task.
 *
 * Call stacks of other tasks are those recorded when they started to wait, in debug
 * mode only (see `Task.getStack`); the rest of the graph needs no debug mode.
 * Nothing is recorded to make this possible: the graph is found when asked for.
 *
 * @example
 * ```ts
 * function* child(): Coro<void> {
 *   console.log(formatCallGraph(captureCallGraph()!));
 *   // * Task(name='child', id=2)
 *   // + Awaited by:
 *   //    * Task(name='Task-1', id=1) awaiting task child
 * }
 * ```
 */
export function captureCallGraph(future?: Future<unknown>, options: CallGraphOptions = {}): CallGraph | null {
  return graphOf(future, options, captureCallGraph);
}

/** The graph of `future`; asked from inside a task, its live frames start below `caller`. */
function graphOf(future: Future<unknown> | undefined, options: CallGraphOptions, caller: (...args: never[]) => unknown): CallGraph | null {
  let live: FrameInfo[] | null = null;
  if (future === undefined) {
    const current = getRunningLoop()._currentTask as Task<unknown> | null;
    if (current === null) return null;
    future = current;
    live = coroutineFrames(captureStack(caller).stack, options.limit);
  } else if (!(future instanceof Future)) {
    throw new TypeError(`captureCallGraph expects a future or task (or nothing: the current task), got ${String(future)}`);
  }
  const graph = awaitGraph(future.getLoop());
  const build = (f: Future<unknown>, path: Set<Future<unknown>>, frames: FrameInfo[]): CallGraph => {
    path.add(f);
    const awaitedBy = (graph.awaitedBy.get(f) ?? []).filter((t) => !path.has(t)).map((t) => build(t, path, framesOf(t, options.limit)));
    path.delete(f);
    return { future: describeFuture(f, frames), callStack: frames, awaitedBy };
  };
  return build(future, new Set(), live ?? framesOf(future, options.limit));
}

/**
 * A call graph as text, in the shape of asyncio's `format_call_graph`.
 *
 * @example
 * ```ts
 * const graph = captureCallGraph(task);
 * if (graph !== null) console.log(formatCallGraph(graph));
 * ```
 */
export function formatCallGraph(graph: CallGraph): string {
  const lines: string[] = [];
  const add = (node: CallGraph, indent: string): void => {
    lines.push(`${indent}* ${describeLine(node.future)}`);
    if (node.callStack.length > 0) {
      lines.push(`${indent}+ Call stack:`);
      for (const frame of node.callStack) lines.push(`${indent}|   at ${formatFrame(frame)}`);
    }
    if (node.awaitedBy.length > 0) {
      lines.push(`${indent}+ Awaited by:`);
      for (const by of node.awaitedBy) add(by, `${indent}   `);
    }
  };
  add(graph, "");
  return lines.join("\n");
}

/**
 * Prints the call graph of `future` (the current task by default), as asyncio's
 * `print_call_graph`; prints nothing outside a task.
 *
 * @example
 * ```ts
 * function* worker(): Coro<void> { printCallGraph(); }
 * ```
 */
export function printCallGraph(future?: Future<unknown>, options: CallGraphOptions & { write?: (text: string) => void } = {}): void {
  const graph = graphOf(future, options, printCallGraph);
  if (graph !== null) (options.write ?? console.log)(formatCallGraph(graph));
}

/** One task as a line: `Task(name='worker', id=3) awaiting Lock.acquire <Lock [locked]>`. */
export function describeLine(info: TaskInfo): string {
  const head = info.kind === "task" ? `Task(name='${info.name}', id=${info.id})` : `Future(${info.name}, id=${info.id})`;
  const state = info.state === "pending" ? "" : ` ${info.state}`;
  const awaiting = info.awaiting === null ? "" : ` awaiting ${info.awaiting.kind === "task" ? `task ${info.awaiting.description}` : info.awaiting.kind === info.awaiting.description ? info.awaiting.kind : `${info.awaiting.kind} ${info.awaiting.description}`}`;
  const remote = info.remote === null ? "" : ` → ${info.remote.function}() ${info.remote.thread === null ? "queued" : `on ${info.remote.thread}`}`;
  return head + state + awaiting + remote;
}
