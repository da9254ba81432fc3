// What the random-program tests share: a log of what each call and each task did,
// tasks that log how they ended, cancelling one that still runs, and the final
// settling. The differential tests compare two such logs.
import { type Coro, type Task, createTask, sleep } from "../../src/index.js";

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
