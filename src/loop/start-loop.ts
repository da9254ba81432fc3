import { EventLoop, type EventLoopOptions } from "./event-loop.js";

/**
 * Starts an event loop on this thread and keeps it running until `loop.stop()`:
 * the loop for code with no single `main()` — a web page, whose UI handlers start
 * tasks with `createTask` at any time, or a Node service wired to callbacks.
 * While it runs, `getRunningLoop()` and everything built on it work from any code
 * on this thread. Stop it (`loop.stop()`), then `loop.close()`, when the page or
 * service ends. (A worker that calls `expose()` already has one.)
 *
 * @example
 * ```ts
 * const loop = startLoop();
 * button.onclick = () => {
 *   const job = createTask(render(scene), { signal: navigation.signal });
 *   cancelButton.onclick = () => job.cancel();
 * };
 * ```
 */
export function startLoop(options: EventLoopOptions = {}): EventLoop {
  const loop = new EventLoop(options);
  void loop.runForever();
  return loop;
}
