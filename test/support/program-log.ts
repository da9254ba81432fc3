// What the random-program tests share: a log of what each call and each task did,
// tasks that log how they ended, cancelling one that still runs, and the final
// settling. The differential tests compare two such logs.
import { CancelledError, type Coro, type Task, ValueError, createTask, getRunningLoop, sleep } from "../../src/index.js";
import { runVirtual } from "./harness.js";

/** An error as a log shows it: its class name. */
export const nameOf = (error: unknown): string => (error instanceof Error ? error.name : String(error));

/** A log of a program's events, and the tasks it spawned (numbered in order). */
export class ProgramLog {
  readonly events: string[] = [];
  readonly tasks: Task<void>[] = [];

  /** Logs what `call` returned, or the name of what it threw. */
  call(what: string, call: () => unknown): void {
    try {
      this.events.push(`${what}: ${String(call())}`);
    } catch (error) {
      this.events.push(`${what}: ${nameOf(error)}`);
    }
  }

  /** Starts a task that logs what `body` returned, or the name of what it threw. */
  spawn(what: string, body: () => Coro<unknown>): void {
    const id = this.tasks.length;
    const events = this.events;
    this.tasks.push(
      createTask(
        (function* (): Coro<void> {
          try {
            events.push(`#${id} ${what}: ${String(yield* body())}`);
          } catch (error) {
            events.push(`#${id} ${what}: ${nameOf(error)}`);
            throw error;
          }
        })(),
      ),
    );
  }

  /** Cancels one of the tasks still running (woken, waiting or not started yet), chosen by `index`. */
  cancelLive(index: number): void {
    const live = this.tasks.filter((task) => !task.done());
    if (live.length === 0) return;
    const task = live[index % live.length]!;
    this.call(`cancel #${this.tasks.indexOf(task)}`, () => task.cancel());
  }

  /** Lets what can finish finish, then cancels every task still running and waits for each to end. */
  *settle(): Coro<void> {
    yield* sleep(1);
    yield* cancelAll(this.tasks);
  }
}

/** Cancels `tasks` and waits until each has ended (however it ended). */
export function* cancelAll(tasks: readonly Task<unknown>[]): Coro<void> {
  for (const task of tasks) task.cancel();
  for (const task of tasks) {
    try {
      yield* task;
    } catch {
      // cancelled, or failed: the task's own log says which
    }
  }
}

/** A child task of the scenario tests: sleeps, then returns, fails, or swallows one cancellation and returns. */
export interface ChildSpec {
  sleep: number;
  end: "value" | "error" | "swallow";
}

/** The child `spec` describes, number `i`, logging through `at` how its sleep ended and that it returned. */
export function* scenarioChild(at: (event: string) => void, i: number, spec: ChildSpec): Coro<string> {
  try {
    yield* sleep(spec.sleep);
  } catch (error) {
    at(`child ${i}: ${nameOf(error)}`);
    if (spec.end !== "swallow" || !(error instanceof CancelledError)) throw error;
  }
  if (spec.end === "error") throw new ValueError(`child ${i} failed`);
  at(`child ${i} returns`);
  return `v${i}`;
}

/**
 * Runs `scenario` under a VirtualClock with `at`, which logs an event with the loop
 * time, and returns the log followed by what reached the loop's exception handler.
 */
export async function runLogged(scenario: (at: (event: string) => void) => Coro<void>): Promise<string[]> {
  const log: string[] = [];
  const { reported } = await runVirtual(function* (): Coro<void> {
    const loop = getRunningLoop();
    yield* scenario((event) => void log.push(`${loop.time()} ${event}`));
  });
  return [...log, ...reported.map((context) => `reported: ${context.message}`)];
}
