import { RuntimeError } from "../errors.js";
import type { TaskBody } from "../futures/task.js";
import { EventLoop, type EventLoopOptions } from "../loop/event-loop.js";
import { findRunningLoop } from "../loop/running-loop.js";
import { allTasks } from "../futures/current-task.js";
import { gather } from "./gather.js";

/** Options of `run`. */
export interface RunOptions extends EventLoopOptions {}

/**
 * Runs `main` on a new event loop and resolves with its result, as `asyncio.run`:
 * when `main` ends, every task still running is cancelled and awaited, then the loop
 * closes. Errors nobody retrieved are reported to the loop's exception handler.
 * Refused inside a running loop: there, use `createTask`.
 *
 * @example
 * ```ts
 * const answer = await run(function* () {
 *   yield* sleep(10);
 *   return 42;
 * }());
 * await run(main(), { clock: new VirtualClock() }); // deterministic time in tests
 * ```
 */
export async function run<T>(main: TaskBody<T>, options: RunOptions = {}): Promise<T> {
  if (findRunningLoop() !== null) {
    throw new RuntimeError("run() cannot be called while an event loop is running in this thread; use createTask() or yield* instead.");
  }
  const loop = new EventLoop(options);
  try {
    const task = loop.createTask(main, { name: "main" });
    try {
      return await loop.runUntilComplete(task);
    } finally {
      await cancelAllTasks(loop);
    }
  } finally {
    loop.close();
  }
}

/** asyncio's `_cancel_all_tasks`: cancel what is left, wait for it, report its errors. */
async function cancelAllTasks(loop: EventLoop): Promise<void> {
  const left = allTasks(loop);
  if (left.size === 0) return;
  for (const task of left) task.cancel();
  await loop.runUntilComplete(gather(...left, { returnExceptions: true }));
  for (const task of left) {
    if (task.cancelled()) continue;
    const error = task.exception();
    if (error !== undefined) {
      loop.callExceptionHandler({ message: "unhandled exception during run() shutdown", exception: error, task });
    }
  }
}
