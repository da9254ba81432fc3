import { host } from "#platform";
import { type TaskInfo, awaitGraph, describeFuture, describeLine, framesOf } from "../futures/call-graph.js";
import type { Coro } from "../futures/coroutine.js";
import { currentTask } from "../futures/current-task.js";
import { type FrameInfo, captureStack, coroutineFrames, formatFrame } from "../futures/frames.js";
import type { Task } from "../futures/task.js";
import { type AwaitableCoro, awaitable } from "../futures/awaitable.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { wait } from "../tasks/wait.js";
import { checkOptions } from "../validate.js";
import { type Connection, taskTreePeers } from "./connection.js";
import { RemoteCallTask } from "./remote-call-task.js";
import { sanitizeThreadTree } from "./task-tree-input.js";

/** A task in a task tree, with the tasks it awaits below it. */
export interface TaskTreeNode extends TaskInfo {
  /**
   * What it awaits: the tasks it waits on (directly, through `gather`, or as the
   * parent of a `TaskGroup`), and for a call to another thread that was asked, the
   * task serving the call there.
   */
  readonly children: readonly TaskTreeNode[];
  /** Set on a task that runs on another thread than its parent in the tree: that thread. */
  readonly thread?: string;
  /** On a thread that was asked: the id of the asking thread's call this task serves. */
  readonly servesCall?: number;
}

/**
 * How a thread answered: `"answered"`; `"unresponsive"` (no answer within the
 * timeout: busy in synchronous code, or its loop is blocked); `"gone"` (it ended);
 * `"refused"` (it does not share its tasks: the main thread never does).
 */
export type ThreadStatus = "answered" | "unresponsive" | "gone" | "refused";

/** One thread's tasks, and the threads it reaches. Plain data: send it, store it, draw it. */
export interface ThreadTree {
  /** The thread, as the thread that asked names it (`worker pool-1`), or `main thread` / `this worker` at the root. */
  readonly thread: string;
  /** Whether it answered (see `ThreadStatus`). */
  readonly status: ThreadStatus;
  /** The tasks nobody on this thread awaits, with what they await below them. */
  readonly tasks: readonly TaskTreeNode[];
  /** The threads this one started (workers, pool members), each asked in turn; tasks serving a call linked into the tree are not repeated there. */
  readonly threads: readonly ThreadTree[];
  /** Tasks left out to keep the tree bounded (see `maxTasks`). */
  readonly omitted: number;
}

/** Options of `captureTaskTree`. */
export interface TaskTreeOptions {
  /** Ask every thread this one started — workers, pools, and theirs in turn — and link each remote call to the task serving it. */
  threads?: boolean;
  /** How long to wait for other threads (ms, default 1000); a thread that has not answered by then is shown as `"unresponsive"`. */
  timeout?: number;
  /** At most this many frames per task. */
  frames?: number;
}

/** A tree has at most this many tasks per thread, nested at most this deep; the rest are counted in `omitted`. */
const MAX_TASKS = 5000;
const MAX_DEPTH = 64;
/** A nested thread must answer within this share of its asker's time, so the answer gets back in time. */
const NESTED_SHARE = 0.8;
const DEFAULT_TIMEOUT = 1000;

type MutableNode = { -readonly [K in keyof TaskTreeNode]: TaskTreeNode[K] } & { children: TaskTreeNode[] };

/**
 * Every task of this thread as a tree, from the tasks nobody awaits down to what
 * each awaits (the view of asyncio 3.14's `python -m asyncio pstree`). With
 * `threads: true` it also asks each thread this one started — workers, pool
 * members, and the threads they started — and puts the task serving each remote
 * call under the call's task, so one tree shows what the whole app is waiting on.
 * A thread that does not answer within `timeout` (its loop busy in synchronous
 * code) is shown as `"unresponsive"`, one that ended as `"gone"`: the caller
 * never hangs. Frames are recorded in debug mode only (see `Task.getStack`).
 *
 * Nothing is recorded to make this possible: the tree is found when asked for.
 *
 * @example
 * ```ts
 * const tree = yield* captureTaskTree({ threads: true, timeout: 500 });
 * console.log(formatTaskTree(tree));
 * // main thread
 * // └── Task(name='main', id=1) awaiting task render#1
 * //     └── Task(name='render#1', id=4) → render() on worker pool-1
 * //         └── [worker pool-1] Task(name='render#1 (served)', id=2) awaiting sleep 5 ms
 * ```
 */
export function captureTaskTree(options: TaskTreeOptions = {}): AwaitableCoro<ThreadTree> {
  checkOptions(options, "captureTaskTree");
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  if (typeof timeout !== "number" || !(timeout >= 0)) throw new TypeError(`captureTaskTree option timeout expects a number of ms ≥ 0, got ${String(timeout)}`);
  const loop = getRunningLoop();
  const name = host.parentEndpoint() === null ? "main thread" : "this worker";
  return treeOf(loop, name, { threads: options.threads === true, timeout, frames: options.frames, exclude: null, asker: null }) as AwaitableCoro<ThreadTree>;
}

interface Capture {
  readonly threads: boolean;
  readonly timeout: number;
  readonly frames: number | undefined;
  /** A task left out: the one answering a request, which is not the app's work. */
  readonly exclude: Task<unknown> | null;
  /** The connection that asked, when answering: not asked back, and its calls are the ones served. */
  readonly asker: Connection | null;
}

function* treeOfCoro(loop: EventLoop, thread: string, capture: Capture): Coro<ThreadTree> {
  // The task asking is running: its frames are those from where it asked, not this module's.
  const asking = currentTask(loop);
  const askingFrames = asking === null || asking === capture.exclude ? null : coroutineFrames(captureStack(treeOfCoro).stack, capture.frames);
  const { roots, remoteCalls, omitted } = localTree(loop, capture, asking, askingFrames);
  const threads: ThreadTree[] = [];
  if (capture.threads) {
    const peers = taskTreePeers(loop).filter((peer) => peer !== capture.asker);
    const asks = peers.map((peer) => peer.askTaskTree(capture.timeout * NESTED_SHARE));
    try {
      if (asks.length > 0) yield* wait(asks, { timeout: capture.timeout });
    } finally {
      // Given up on (or this capture was cancelled): each connection forgets its question.
      for (const ask of asks) if (!ask.done()) ask.cancel();
    }
    peers.forEach((peer, i) => {
      const ask = asks[i]!;
      const tree = answerOf(peer, ask);
      threads.push(linkServedCalls(tree, peer, remoteCalls));
    });
  }
  return { thread, status: "answered", tasks: roots, threads, omitted };
}
const treeOf = awaitable(treeOfCoro);

/** What a peer said, as a tree of its own; one that has not answered is given up on. */
function answerOf(peer: Connection, ask: ReturnType<Connection["askTaskTree"]>): ThreadTree {
  const empty = (status: ThreadStatus): ThreadTree => ({ thread: peer.peerName, status, tasks: [], threads: [], omitted: 0 });
  if (ask.cancelled()) return empty("unresponsive");
  if (ask.exception() !== undefined) return empty("gone");
  const raw = ask.result();
  return raw === null ? empty("refused") : sanitizeThreadTree(raw, peer.peerName, MAX_TASKS);
}

/** Moves each task serving one of this thread's calls on `peer` under the call's node. */
function linkServedCalls(tree: ThreadTree, peer: Connection, remoteCalls: ReadonlyMap<RemoteCallTask<unknown>, MutableNode>): ThreadTree {
  if (tree.status !== "answered") return tree;
  const served = new Map<number, TaskTreeNode>();
  for (const node of tree.tasks) if (node.servesCall !== undefined) served.set(node.servesCall, node);
  const linked = new Set<TaskTreeNode>();
  for (const [call, node] of remoteCalls) {
    if (call._sentOn !== peer) continue;
    const servingNode = served.get(call._id);
    if (servingNode === undefined) continue;
    node.children.push({ ...servingNode, thread: peer.peerName });
    linked.add(servingNode);
  }
  return linked.size === 0 ? tree : { ...tree, tasks: tree.tasks.filter((node) => !linked.has(node)) };
}

/** This thread's tasks as a tree; the nodes of calls to other threads, to link what serves them. */
function localTree(loop: EventLoop, capture: Capture, asking: Task<unknown> | null, askingFrames: FrameInfo[] | null): { roots: MutableNode[]; remoteCalls: Map<RemoteCallTask<unknown>, MutableNode>; omitted: number } {
  const graph = awaitGraph(loop);
  const servesCall = new Map<Task<unknown>, number>();
  if (capture.asker !== null) for (const [id, task] of capture.asker._servingTasks()) servesCall.set(task, id);
  const remoteCalls = new Map<RemoteCallTask<unknown>, MutableNode>();
  const included = new Set<Task<unknown>>();
  let nodes = 0;
  const exclude = capture.exclude;
  const build = (task: Task<unknown>, path: Set<Task<unknown>>): MutableNode | null => {
    if (nodes >= MAX_TASKS) return null;
    nodes++;
    included.add(task);
    const frames = task === asking && askingFrames !== null ? askingFrames : framesOf(task, capture.frames);
    const node: MutableNode = { ...describeFuture(task, frames), children: [] };
    const id = servesCall.get(task);
    if (id !== undefined) node.servesCall = id;
    if (task instanceof RemoteCallTask) remoteCalls.set(task, node);
    path.add(task);
    for (const child of graph.awaits.get(task) ?? []) {
      if (path.has(child) || child === exclude || path.size >= MAX_DEPTH) continue;
      const built = build(child, path);
      if (built !== null) node.children.push(built);
    }
    path.delete(task);
    return node;
  };
  const roots: MutableNode[] = [];
  for (const task of graph.tasks) {
    if (task === exclude) continue;
    const awaiters = graph.awaitedBy.get(task);
    if (awaiters !== undefined && awaiters.some((awaiter) => awaiter !== exclude)) continue;
    const node = build(task, new Set());
    if (node !== null) roots.push(node);
  }
  const omitted = graph.tasks.filter((task) => task !== exclude && !included.has(task)).length;
  return { roots, remoteCalls, omitted };
}

/**
 * @internal What `expose` answers when its parent asks for this worker's tasks:
 * the tree of this thread without the answering task, each task serving one of
 * the parent's calls marked with the call's id, and the threads this one started.
 */
export function* answerTaskTree(asker: Connection, timeout: number): Coro<unknown> {
  return yield* treeOf(asker.loop, "this worker", { threads: true, timeout, frames: undefined, exclude: currentTask(asker.loop), asker });
}

/**
 * A task tree as text, in the shape of `pstree`: each thread, then its tasks with
 * what they await below them, their frames when recorded, and the task serving a
 * remote call under the call, marked with its thread.
 *
 * @example
 * ```ts
 * console.log(formatTaskTree(yield* captureTaskTree({ threads: true })));
 * ```
 */
export function formatTaskTree(tree: ThreadTree): string {
  const lines: string[] = [];
  const addThread = (thread: ThreadTree, indent: string): void => {
    const status = thread.status === "answered" ? "" : ` (${thread.status})`;
    const omitted = thread.omitted > 0 ? ` (${thread.omitted} more tasks not shown)` : "";
    lines.push(`${indent}${thread.thread}${status}${omitted}`);
    thread.tasks.forEach((node, i) => addNode(node, indent, i === thread.tasks.length - 1));
    for (const inner of thread.threads) addThread(inner, indent);
  };
  const addNode = (node: TaskTreeNode, indent: string, last: boolean): void => {
    const where = node.thread === undefined ? "" : `[${node.thread}] `;
    lines.push(`${indent}${last ? "└── " : "├── "}${where}${describeLine(node)}`);
    const below = indent + (last ? "    " : "│   ");
    for (const frame of node.frames) lines.push(`${below}${node.children.length > 0 ? "│ " : "  "}  at ${formatFrame(frame)}`);
    node.children.forEach((child, i) => addNode(child, below, i === node.children.length - 1));
  };
  addThread(tree, "");
  return lines.join("\n");
}
