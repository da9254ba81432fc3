// CPython 3.13's asyncio.timeout (Lib/asyncio/timeouts.py: Timeout's __aenter__,
// __aexit__, reschedule and _on_timeout), line for line, as a coroutine around a
// body, on this library's loop and tasks: the reference timeout() is compared with in
// timeout.differential.test.ts.
import { CancelledError, type Coro, type Handle, RuntimeError, TimeoutError, currentTask, getRunningLoop } from "../../src/index.js";

type State = "created" | "active" | "expiring" | "expired" | "finished";

export class ReferenceTimeout {
  private state: State = "created";
  private handler: Handle | null = null;
  private task: ReturnType<typeof currentTask> = null;
  private cancellingOnEnter = 0;

  constructor(private whenValue: number | null) {}

  when(): number | null {
    return this.whenValue;
  }

  reschedule(when: number | null): void {
    if (this.state !== "active") {
      if (this.state === "created") throw new RuntimeError("Timeout has not been entered");
      throw new RuntimeError(`Cannot change state of ${this.state} Timeout`);
    }
    this.whenValue = when;
    this.handler?.cancel();
    if (when === null) this.handler = null;
    else {
      const loop = getRunningLoop();
      this.handler = when <= loop.time() ? loop.callSoon(this.onTimeout) : loop.callAt(when, this.onTimeout);
    }
  }

  expired(): boolean {
    return this.state === "expiring" || this.state === "expired";
  }

  /** `async with timeout_at(when) as scope: return await body(scope)`. */
  *run<T>(body: (scope: ReferenceTimeout) => Coro<T>): Coro<T> {
    this.enter();
    let result: T;
    try {
      result = yield* body(this);
    } catch (error) {
      this.exit(error, true);
      throw error; // exit() throws TimeoutError itself when it converts
    }
    this.exit(undefined, false);
    return result;
  }

  private enter(): void {
    if (this.state !== "created") throw new RuntimeError("Timeout has already been entered");
    const task = currentTask();
    if (task === null) throw new RuntimeError("Timeout should be used inside a task");
    this.state = "active";
    this.task = task;
    this.cancellingOnEnter = task.cancelling();
    this.reschedule(this.whenValue);
  }

  private exit(error: unknown, failed: boolean): void {
    this.handler?.cancel();
    this.handler = null;
    if (this.state === "expiring") {
      this.state = "expired";
      if (this.task!.uncancel() <= this.cancellingOnEnter && failed) {
        // Since there are no new cancel requests, we're handling this.
        if (error instanceof CancelledError) throw new TimeoutError("timed out", { cause: error });
      }
    } else if (this.state === "active") {
      this.state = "finished";
    }
  }

  private readonly onTimeout = (): void => {
    this.task!.cancel();
    this.state = "expiring";
    this.handler = null;
  };
}

/** `asyncio.timeout(delay)`: the deadline is `delay` ms after the scope is entered (`null`: none). */
export function* referenceTimeout<T>(delay: number | null, body: (scope: ReferenceTimeout) => Coro<T>): Coro<T> {
  return yield* new ReferenceTimeout(delay === null ? null : getRunningLoop().time() + delay).run(body);
}
