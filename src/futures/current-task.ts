import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import type { Task } from "./task.js";
import { taskListOf } from "./task-list.js";

/**
 * The task whose coroutine is running now, or `null` in a plain callback. In an
 * async-function task it is set only until the function's first `await`.
 * Throws `RuntimeError` outside a running loop (use `loop` to ask another loop).
 *
 * @example
 * ```ts
 * function* worker(): Coro<void> { console.log(currentTask()?.getName()); }
 * ```
 */
export function currentTask(loop: EventLoop = getRunningLoop()): Task<unknown> | null {
  return loop._currentTask as Task<unknown> | null;
}

/**
 * The tasks of the loop that are not done yet.
 *
 * @example
 * ```ts
 * for (const task of allTasks()) if (task !== currentTask()) task.cancel();
 * ```
 */
export function allTasks(loop: EventLoop = getRunningLoop()): Set<Task<unknown>> {
  return taskListOf<Task<unknown>>(loop).toSet();
}
