import { host } from "#platform";
import { type TaskInfo, describeLine } from "../futures/call-graph.js";
import { formatFrame } from "../futures/frames.js";
import type { AwaitableCoro } from "../futures/awaitable.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { checkOptions } from "../validate.js";
import type { TreeAnswer } from "./connection.js";
import { sanitizeThreadTree } from "./task-tree-input.js";
import { MAX_TASKS, emptyTree, threadTree } from "./thread-tree.js";

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

const DEFAULT_TIMEOUT = 1000;

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
  // Another thread's answer is checked here, and only here (see thread-tree.ts), so
  // the result is a ThreadTree throughout.
  return threadTree(loop, name, { threads: options.threads === true, timeout, frames: options.frames, exclude: null, asker: null, read: checkAnswer }) as AwaitableCoro<ThreadTree>;
}

/** Another thread's answer, rebuilt from checked fields only. */
function checkAnswer(answer: TreeAnswer, thread: string): ThreadTree {
  return answer.status === "answered" ? sanitizeThreadTree(answer.tree, thread, MAX_TASKS) : emptyTree(thread, answer.status);
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
