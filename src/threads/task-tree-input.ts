import type { TaskInfo, TaskState, WaitInfo } from "../futures/call-graph.js";
import type { FrameInfo } from "../futures/frames.js";
import type { RemoteCallInfo } from "../futures/task.js";
import { isRecord } from "../validate.js";
import type { TaskTreeNode, ThreadStatus, ThreadTree } from "./task-tree.js";

/**
 * A task tree another thread sent is untrusted input: it is rebuilt here from
 * checked fields only, bounded in size and depth, so that what a broken or
 * hostile worker sends can neither crash the thread that asked nor make it spin
 * (a cyclic or endlessly deep value ends at the depth bound). What does not check
 * out is left out and counted in `omitted`.
 */

/** Deepest task nesting kept, and deepest thread nesting. */
const MAX_DEPTH = 64;
const MAX_THREAD_DEPTH = 8;
const MAX_FRAMES = 64;
/** Strings are cut to this length (a name, a description, a file). */
const MAX_STRING = 500;

const STATES: ReadonlySet<string> = new Set<TaskState>(["pending", "finished", "failed", "cancelled"]);
const STATUSES: ReadonlySet<string> = new Set<ThreadStatus>(["answered", "unresponsive", "gone", "refused"]);

/** @internal The tree `raw` describes, named `thread` (the asker's name for it), with at most `maxTasks` tasks. */
export function sanitizeThreadTree(raw: unknown, thread: string, maxTasks: number): ThreadTree {
  const budget = { tasks: maxTasks, omitted: 0 };
  return readThread(raw, thread, budget, 0) ?? { thread, status: "answered", tasks: [], threads: [], omitted: 1 };
}

interface Budget {
  tasks: number;
  omitted: number;
}

function readThread(raw: unknown, thread: string, budget: Budget, depth: number): ThreadTree | null {
  if (!isRecord(raw) || depth > MAX_THREAD_DEPTH) return null;
  const status = STATUSES.has(raw.status as string) ? (raw.status as ThreadStatus) : "answered";
  const before = budget.omitted;
  const tasks = readList(raw.tasks, (node) => readNode(node, budget, 0));
  const threads = readList(raw.threads, (inner) => {
    const name = isRecord(inner) ? text(inner.thread) : null;
    return name === null ? null : readThread(inner, name, budget, depth + 1);
  });
  const sentOmitted = typeof raw.omitted === "number" && Number.isSafeInteger(raw.omitted) && raw.omitted > 0 ? raw.omitted : 0;
  return { thread, status, tasks, threads, omitted: sentOmitted + budget.omitted - before };
}

function readNode(raw: unknown, budget: Budget, depth: number): TaskTreeNode | null {
  if (budget.tasks <= 0 || depth > MAX_DEPTH || !isRecord(raw)) {
    budget.omitted++;
    return null;
  }
  const name = text(raw.name);
  if ((raw.kind !== "task" && raw.kind !== "future") || typeof raw.id !== "number" || name === null || !STATES.has(raw.state as string)) {
    budget.omitted++;
    return null;
  }
  budget.tasks--;
  const info: TaskInfo = {
    kind: raw.kind,
    id: raw.id,
    name,
    state: raw.state as TaskState,
    awaiting: readWait(raw.awaiting),
    frames: readList(raw.frames, readFrame).slice(0, MAX_FRAMES),
    remote: readRemote(raw.remote),
  };
  const children = readList(raw.children, (child) => readNode(child, budget, depth + 1));
  const node: TaskTreeNode = { ...info, children };
  const thread = text(raw.thread);
  const servesCall = raw.servesCall;
  return {
    ...node,
    ...(thread !== null ? { thread } : {}),
    ...(typeof servesCall === "number" && Number.isSafeInteger(servesCall) ? { servesCall } : {}),
  };
}

function readWait(raw: unknown): WaitInfo | null {
  if (!isRecord(raw)) return null;
  const kind = text(raw.kind);
  const description = text(raw.description);
  return kind === null || description === null ? null : { kind, description };
}

function readRemote(raw: unknown): RemoteCallInfo | null {
  if (!isRecord(raw)) return null;
  const fn = text(raw.function);
  if (fn === null || typeof raw.callId !== "number") return null;
  return { thread: text(raw.thread), function: fn, callId: raw.callId };
}

function readFrame(raw: unknown): FrameInfo | null {
  if (!isRecord(raw)) return null;
  const name = text(raw.name);
  if (name === null) return null;
  const number = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);
  return { name, file: text(raw.file), line: number(raw.line), column: number(raw.column) };
}

/** The items of `raw` that `read` accepts (none if it is not an array). */
function readList<T>(raw: unknown, read: (item: unknown) => T | null): T[] {
  if (!Array.isArray(raw)) return [];
  const out: T[] = [];
  for (const item of raw) {
    const value = read(item);
    if (value !== null) out.push(value);
  }
  return out;
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value.slice(0, MAX_STRING) : null;
}
