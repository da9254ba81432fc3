import { RuntimeError } from "../errors.js";
import type { EventLoop } from "./event-loop.js";

// One running loop per thread, as asyncio: a worker has its own module instance,
// so a module variable is exactly "per thread".
let runningLoop: EventLoop | null = null;

/**
 * The loop running in this thread. Throws `RuntimeError` outside one, as asyncio's
 * `get_running_loop()`.
 *
 * @example
 * ```ts
 * await run(function* () { getRunningLoop().callSoon(() => console.log("soon")); }());
 * ```
 */
export function getRunningLoop(): EventLoop {
  if (runningLoop === null) {
    throw new RuntimeError(
      "no running event loop: call this from code started by run(main) (or inside a task), or pass a loop explicitly",
    );
  }
  return runningLoop;
}

/** @internal The running loop or null, for code that has a fallback. */
export function findRunningLoop(): EventLoop | null {
  return runningLoop;
}

/** @internal Only the loop itself sets this, when it starts and stops. */
export function setRunningLoop(loop: EventLoop | null): void {
  runningLoop = loop;
}
