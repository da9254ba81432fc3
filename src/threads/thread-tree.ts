import { awaitGraph, describeFuture, framesOf } from "../futures/call-graph.js";
import type { Coro } from "../futures/coroutine.js";
import { currentTask } from "../futures/current-task.js";
import { type FrameInfo, captureStack, coroutineFrames } from "../futures/frames.js";
import type { Task } from "../futures/task.js";
import { awaitable } from "../futures/awaitable.js";
import type { EventLoop } from "../loop/event-loop.js";
import { isRecord } from "../validate.js";
import { type Connection, type TreeAnswer, taskTreePeers } from "./connection.js";
import { RemoteCallTask } from "./remote-call-task.js";
import type { TaskTreeNode, ThreadStatus } from "./task-tree.js";

/**
 * Gathering one thread's task tree: its own tasks, and what each thread it
 * started says. Both the thread that starts a capture (`captureTaskTree`) and a
 * worker answering its parent (`answerTaskTree`) build their tree here; they
 * differ only in what they make of another thread's answer (`Capture.read`). A
 * worker passes its workers' answers up unread, so only the thread that started
 * the capture checks what came from other threads, once, and a worker pays for
 * no checking code.
 */

/** A tree has at most this many tasks per thread, nested at most this deep; the rest are counted in `omitted`. */
export const MAX_TASKS = 5000;
const MAX_DEPTH = 64;
/** A nested thread must answer within this share of its asker's time, so the answer gets back in time. */
const NESTED_SHARE = 0.8;

/** A tree node being built; `children` holds this thread's nodes and, linked under a call, another thread's as `read` gave them. */
type Draft = { -readonly [K in keyof TaskTreeNode]: TaskTreeNode[K] } & { children: unknown[] };

/** @internal How one capture goes. */
export interface Capture {
  readonly threads: boolean;
  readonly timeout: number;
  readonly frames: number | undefined;
  /** A task left out: the one answering a request, which is not the app's work. */
  readonly exclude: Task<unknown> | null;
  /** The connection that asked, when answering: not asked back, and its calls are the ones served. */
  readonly asker: Connection | null;
  /** What to make of another thread's answer, named as this thread names it. */
  readonly read: (answer: TreeAnswer, thread: string) => unknown;
}

/** A thread tree with no tasks: for a thread that did not answer. */
export function emptyTree(thread: string, status: ThreadStatus, omitted = 0): { thread: string; status: ThreadStatus; tasks: never[]; threads: never[]; omitted: number } {
  return { thread, status, tasks: [], threads: [], omitted };
}

function* threadTreeCoro(loop: EventLoop, thread: string, capture: Capture): Coro<unknown> {
  // The task asking is running: its frames are those from where it asked, not this module's.
  const asking = currentTask(loop);
  const askingFrames = asking === null || asking === capture.exclude ? null : coroutineFrames(captureStack(threadTreeCoro).stack, capture.frames);
  const { roots, remoteCalls, omitted } = localTree(loop, capture, asking, askingFrames);
  const threads: unknown[] = [];
  if (capture.threads) {
    const peers = taskTreePeers(loop).filter((peer) => peer !== capture.asker);
    // Each question settles by the timeout on its own, so waiting for them in turn takes no longer.
    const asks = peers.map((peer) => peer.askTaskTree(capture.timeout * NESTED_SHARE, capture.timeout));
    try {
      for (const ask of asks) yield* ask;
    } finally {
      // This capture was cancelled: each connection forgets its question.
      for (const ask of asks) if (!ask.done()) ask.cancel();
    }
    peers.forEach((peer, i) => threads.push(linkServedCalls(capture.read(asks[i]!.result(), peer.peerName), peer, remoteCalls)));
  }
  return { thread, status: "answered", tasks: roots, threads, omitted };
}
/** @internal The task tree of `loop`'s thread, named `thread`, as `capture` says. */
export const threadTree = awaitable(threadTreeCoro);

/**
 * Moves each task serving one of this thread's calls on `peer` under the call's
 * node. `tree` is what `read` made of the peer's answer: checked, or (in a worker
 * passing it up) as it came, so only its list of tasks and their `servesCall` are
 * looked at, and nothing in it is trusted further.
 */
function linkServedCalls(tree: unknown, peer: Connection, remoteCalls: ReadonlyMap<RemoteCallTask<unknown>, Draft>): unknown {
  if (!isRecord(tree) || tree.status !== "answered" || !Array.isArray(tree.tasks)) return tree;
  const served = new Map<number, Record<string, unknown>>();
  for (const node of tree.tasks) if (isRecord(node) && typeof node.servesCall === "number") served.set(node.servesCall, node);
  const linked = new Set<unknown>();
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
function localTree(loop: EventLoop, capture: Capture, asking: Task<unknown> | null, askingFrames: FrameInfo[] | null): { roots: Draft[]; remoteCalls: Map<RemoteCallTask<unknown>, Draft>; omitted: number } {
  const graph = awaitGraph(loop);
  const servesCall = new Map<Task<unknown>, number>();
  if (capture.asker !== null) for (const [id, task] of capture.asker._servingTasks()) servesCall.set(task, id);
  const remoteCalls = new Map<RemoteCallTask<unknown>, Draft>();
  const included = new Set<Task<unknown>>();
  let nodes = 0;
  const exclude = capture.exclude;
  const build = (task: Task<unknown>, path: Set<Task<unknown>>): Draft | null => {
    if (nodes >= MAX_TASKS) return null;
    nodes++;
    included.add(task);
    const frames = task === asking && askingFrames !== null ? askingFrames : framesOf(task, capture.frames);
    const node: Draft = { ...describeFuture(task, frames), children: [] };
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
  const roots: Draft[] = [];
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

/** A worker passes its workers' answers up as they came: the thread that started the capture checks them. */
function passUp(answer: TreeAnswer, thread: string): unknown {
  if (answer.status !== "answered") return emptyTree(thread, answer.status);
  return isRecord(answer.tree) ? { ...answer.tree, thread } : emptyTree(thread, "answered", 1);
}

/**
 * @internal What `expose` answers when its parent asks for this worker's tasks:
 * the tree of this thread without the answering task, each task serving one of
 * the parent's calls marked with the call's id, and the threads this one started.
 */
export function* answerTaskTree(asker: Connection, timeout: number): Coro<unknown> {
  return yield* threadTree(asker.loop, "this worker", { threads: true, timeout, frames: undefined, exclude: currentTask(asker.loop), asker, read: passUp });
}
