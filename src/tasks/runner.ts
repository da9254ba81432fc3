import { RuntimeError } from "../errors.js";
import { allTasks } from "../futures/current-task.js";
import type { TaskBody } from "../futures/task.js";
import { EventLoop, type EventLoopOptions } from "../loop/event-loop.js";
import { findRunningLoop } from "../loop/running-loop.js";
import { checkOptions } from "../validate.js";
import { gather } from "./gather.js";

/** Options of `Runner` and `run`: those of the loop it makes (`debug`, `clock`, …). */
export interface RunOptions extends EventLoopOptions {}

/**
 * One event loop for several `run()`s, as asyncio's `Runner`: a test suite, a
 * REPL, or a page that runs one job after another on the same loop. Tasks a run
 * leaves behind stay on the loop and go on in the next run; `close()` cancels and
 * awaits what is left, then closes the loop. `await using` closes it at the end of
 * the block.
 *
 * @example
 * ```ts
 * await using runner = new Runner({ debug: true });
 * const config = await runner.run(loadConfig());
 * await runner.run(serve(config));
 * ```
 */
export class Runner {
  private readonly loop: EventLoop;
  private closing: Promise<void> | null = null;

  constructor(options: RunOptions = {}) {
    checkOptions(options, "Runner");
    this.loop = new EventLoop(options);
  }

  /**
   * Runs `main` on the runner's loop until it ends and resolves with its result.
   * Refused while a loop runs in this thread (inside a task, `yield*` instead).
   */
  async run<T>(main: TaskBody<T>): Promise<T> {
    if (this.closing !== null) throw new RuntimeError("Runner is closed: make a new Runner to run more.");
    if (findRunningLoop() !== null) {
      throw new RuntimeError("Runner.run() cannot be called while an event loop is running in this thread; use createTask() or yield* instead.");
    }
    return this.loop.runUntilComplete(this.loop.createTask(main, { name: "main" }));
  }

  /** The runner's loop. */
  getLoop(): EventLoop {
    return this.loop;
  }

  /**
   * Cancels every task still on the loop, waits until they have unwound (their
   * `finally` blocks run, and may wait), reports their errors, and closes the loop.
   * Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= closeLoop(this.loop);
    return this.closing;
  }

  /** `await using runner = new Runner()`: closes it when the block ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * `using runner = new Runner()`: starts closing it when the block ends. A `using`
   * block cannot wait, so tasks left behind unwind afterwards; prefer `await using`.
   */
  [Symbol.dispose](): void {
    void this.close();
  }
}

/** @internal asyncio's `_cancel_all_tasks`, then close: cancel what is left, wait for it, report its errors. */
export async function closeLoop(loop: EventLoop): Promise<void> {
  if (loop.isClosed()) return;
  try {
    const left = allTasks(loop);
    if (left.size === 0) return;
    for (const task of left) task.cancel();
    await loop.runUntilComplete(gather(...left, { returnExceptions: true }));
    for (const task of left) {
      if (task.cancelled()) continue;
      const error = task.exception();
      if (error !== undefined) loop.callExceptionHandler({ message: "unhandled exception during run() shutdown", exception: error, task });
    }
  } finally {
    loop.close();
  }
}
