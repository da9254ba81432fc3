import { type TaskFactory, registerFutureClasses } from "../loop/event-loop.js";
import { Future } from "./future.js";
import { Task } from "./task.js";
import { taskListOf } from "./task-list.js";
import { startWatching } from "./never-awaited.js";

// The loop reaches Future and Task only through this registration, so loop/
// never imports futures/ at run time.
registerFutureClasses({
  createFuture: (loop) => new Future(loop),
  createTask: (loop, body, options) => new Task(body, loop, options),
  debugFirstOn: startWatching,
  releaseAsyncAwaiters: (loop) => {
    const awaited = loop._asyncAwaited as Future<unknown>[] | null;
    if (awaited === null) return;
    loop._asyncAwaited = null;
    for (const future of awaited) future._releaseAsyncAwaiters();
  },
  reportPendingTasks: (loop) => {
    for (const task of taskListOf<Task<unknown>>(loop).toSet()) {
      loop.callExceptionHandler({
        message: `Task was destroyed but it is pending! ${task} can never finish: its loop closed. Cancel and await tasks before closing a loop (run() and Runner do).`,
        task,
      });
    }
  },
});

/**
 * A task factory that starts every task eagerly (asyncio 3.12's
 * `eager_task_factory`): `loop.setTaskFactory(eagerTaskFactory)`.
 *
 * @example
 * ```ts
 * getRunningLoop().setTaskFactory(eagerTaskFactory);
 * const t = createTask(function* () { return 1; }()); // already done
 * ```
 */
export const eagerTaskFactory: TaskFactory = (loop, body, options) => new Task(body, loop, { ...options, eager: true });
