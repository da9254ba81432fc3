import type { TaskBody } from "../futures/task.js";
import { type RunOptions, Runner } from "./runner.js";

export type { RunOptions } from "./runner.js";

/**
 * Runs `main` on a new event loop and resolves with its result, as `asyncio.run`:
 * when `main` ends, every task still running is cancelled and awaited, then the loop
 * closes. Errors nobody retrieved are reported to the loop's exception handler.
 * Refused inside a running loop: there, use `createTask`. For several runs on one
 * loop, use a `Runner`; for a loop that lives as long as a page, `startLoop()`.
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
  const runner = new Runner(options);
  try {
    return await runner.run(main);
  } finally {
    await runner.close();
  }
}
