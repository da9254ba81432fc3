import { type Coro, type ExceptionContext, type Future, type RunOptions, VirtualClock, getRunningLoop, run } from "../../src/index.js";

/** What a test run left behind: the result, the clock, and what reached the exception handler. */
export interface Outcome<T> {
  value: T;
  clock: VirtualClock;
  reported: ExceptionContext[];
}

/**
 * Runs the coroutine `main()` makes under a VirtualClock, with an exception handler
 * that records instead of logging, so tests can assert on what was reported
 * (including what `run()` reports when it closes the loop).
 */
export async function runVirtual<T>(main: () => Coro<T>, options: RunOptions = {}): Promise<Outcome<T>> {
  const clock = new VirtualClock();
  const reported: ExceptionContext[] = [];
  const value = await run(
    (function* (): Coro<T> {
      getRunningLoop().setExceptionHandler((_loop, context) => {
        reported.push(context);
      });
      return yield* main();
    })(),
    { clock, ...options },
  );
  return { value, clock, reported };
}

/** Runs `main()` under a VirtualClock and returns its value. */
export async function runV<T>(main: () => Coro<T>, options: RunOptions = {}): Promise<T> {
  return (await runVirtual(main, options)).value;
}

/** Collects events in order; tests compare `events`. */
export class Log {
  readonly events: string[] = [];
  readonly add = (event: string): void => {
    this.events.push(event);
  };
}

/** Runs `body` and returns what it threw (failing if it did not throw). */
export function* caught(body: Coro<unknown> | Future<unknown>): Coro<unknown> {
  try {
    yield* body;
  } catch (error) {
    return error;
  }
  throw new Error("expected the coroutine to throw, but it returned");
}
