import { CancelledError, ExceptionGroup, RuntimeError, describeValue } from "../errors.js";
import { type Coro, isCoroutine } from "../futures/coroutine.js";
import { currentTask } from "../futures/current-task.js";
import type { Future } from "../futures/future.js";
import type { Task, TaskBody, TaskOptions } from "../futures/task.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";
import { type AwaitableCoro, makeMethodAwaitable } from "../futures/awaitable.js";
import { LabelledFuture } from "../futures/labelled-future.js";
import { markStarted } from "../futures/never-awaited.js";
import { markAwaitedBy } from "../futures/awaited-by.js";

/** The body of a task group: a generator function that receives the group. */
export type TaskGroupBody<T> = (group: TaskGroup) => Coro<T>;

const NO_ERROR = Symbol("no error");
/** The fewest children a group holds before it looks for done ones to drop. */
const FORGET_DONE_AT = 64;

/**
 * Structured concurrency, as asyncio's `TaskGroup`: the body starts child tasks with
 * `group.createTask`, and the group waits for all of them before it returns. The
 * first child to fail cancels its siblings and the body; every failure comes out
 * together as one `ExceptionGroup`. A cancel of the task running the group from
 * outside comes out as a plain `CancelledError`; `cancel()` ends the group early
 * without an error. Children may be added while the group waits, until the last
 * one has finished.
 *
 * @example
 * ```ts
 * const [a, b] = yield* taskGroup(function* (tg) {
 *   const a = tg.createTask(fetchA());
 *   const b = tg.createTask(fetchB());
 *   return [a, b];
 * });
 * console.log(a.result(), b.result());
 * ```
 */
export class TaskGroup {
  private entered = false;
  private exiting = false;
  private aborting = false;
  private loop: EventLoop | null = null;
  private parentTask: Task<unknown> | null = null;
  private parentCancelRequested = false;
  /**
   * The children, in the order they were made, to cancel them on abort. Not a Set:
   * an insert and a delete per child cost a third of a group's time with 1e4
   * children. Done children stay until they outnumber the running ones, then
   * `createTask` drops them, so a long-lived group does not keep every child it ran.
   */
  private children: Task<unknown>[] = [];
  /** How many children have not reached their done callback yet. */
  private running = 0;
  private errors: unknown[] = [];
  private allDone: Future<boolean> | null = null;
  /** `cancel()` was called before the group was entered: it cancels itself on entry. */
  private cancelOnEnter = false;

  /**
   * Runs `body` inside the group and waits for every child. Returns what the body
   * returned.
   */
  run<T>(body: TaskGroupBody<T>): AwaitableCoro<T> {
    if (typeof body !== "function") {
      throw new TypeError(`TaskGroup.run expects a generator function (function* (tg) { ... }), got ${describeValue(body)}`);
    }
    return this.runBody(body) as AwaitableCoro<T>;
  }

  /**
   * Starts a child task. Refused once the group is shutting down (a child failed or
   * it was cancelled) or has finished.
   */
  createTask<T>(body: TaskBody<T>, options?: TaskOptions): Task<T> {
    const refusal = !this.entered
      ? `${this} has not been entered: create tasks inside its run() body.`
      : this.exiting && this.running === 0
        ? `${this} is finished: it takes no new tasks.`
        : this.aborting
          ? `${this} is shutting down: a task failed or the group was cancelled.`
          : null;
    if (refusal !== null) {
      // asyncio closes a refused coroutine, so that it can never run (nor warn that it never did).
      if (isCoroutine(body)) {
        body.return(undefined as T);
        markStarted(body);
      }
      throw new RuntimeError(`TaskGroup ${refusal}`);
    }
    const task = this.loop!.createTask(body, options);
    // Even a task that finished eagerly goes through the callback, so its failure
    // cancels the parent at a wait point, not in the middle of the body (gh-128550).
    if (this.children.length >= FORGET_DONE_AT && this.children.length > 2 * this.running) this.children = this.children.filter((child) => !child.done());
    this.children.push(task as Task<unknown>);
    this.running++;
    task.addDoneCallback(this.onTaskDone);
    // An eager task may have aborted the group before it joined the set (gh-155418).
    if (this.aborting && !task.done()) task.cancel();
    return task;
  }

  /**
   * Cancels the group: an early exit that is not an error, for when the group's
   * work is done or no longer wanted (asyncio 3.15's `TaskGroup.cancel`). Every
   * child not yet done is cancelled, and so is the body at its current wait; the
   * group then waits for the children to end as usual and returns without
   * `CancelledError`. A child's failure still comes out as an `ExceptionGroup`, and
   * a cancellation from outside the group still comes out as `CancelledError`.
   *
   * Called before the group is entered, it cancels the group as soon as it is
   * (so code can hand out a group to cancel what will run in it); called after the
   * group finished, it does nothing. A body cut short by it returns `undefined`.
   *
   * @example
   * ```ts
   * // The first mirror to answer wins; the others are cancelled.
   * let winner: string | undefined;
   * yield* taskGroup(function* (tg) {
   *   for (const url of mirrors) {
   *     tg.createTask(function* () {
   *       const body = yield* download(url);
   *       winner ??= body;
   *       tg.cancel();
   *     }());
   *   }
   * });
   * ```
   */
  cancel(): void {
    if (!this.entered) {
      this.cancelOnEnter = true;
      return;
    }
    if (this.exiting && this.running === 0) return; // finished: nothing left to cancel
    if (!this.aborting) this.abortAndCancelParent();
  }

  /** A short description for logs. */
  toString(): string {
    const state = this.aborting ? " cancelling" : this.entered ? " entered" : "";
    return `<TaskGroup tasks=${this.running}${state}>`;
  }

  private *runBody<T>(body: TaskGroupBody<T>): Coro<T> {
    this.enter();
    let result: T | undefined;
    let bodyError: unknown = NO_ERROR;
    try {
      result = yield* body(this);
    } catch (error) {
      bodyError = error;
    }
    yield* this.exit(bodyError);
    return result as T;
  }

  private enter(): void {
    if (this.entered) throw new RuntimeError(`${this} has already been entered; make a new TaskGroup.`);
    this.loop = getRunningLoop();
    this.parentTask = currentTask(this.loop);
    if (this.parentTask === null) throw new RuntimeError(`${this} cannot find its parent task: run it inside a coroutine task.`);
    this.entered = true;
    if (this.cancelOnEnter) this.cancel();
  }

  /** asyncio's `TaskGroup._aexit`; `error` is what the body threw, or NO_ERROR. */
  private *exit(error: unknown): Coro<void> {
    this.exiting = true;
    let propagateCancellation: unknown = error instanceof CancelledError ? error : null;
    if (error !== NO_ERROR && !this.aborting) {
      // The parent is being cancelled, or the body failed: stop the children.
      this.abort();
    }
    // A loop: the wait can be cancelled repeatedly while the parent is cancelled.
    let pendingCancellation: unknown = null;
    while (this.running > 0) {
      this.allDone ??= new LabelledFuture<boolean>(this.loop!, this);
      try {
        yield* this.allDone;
      } catch (cancelled) {
        if (!(cancelled instanceof CancelledError)) throw cancelled;
        pendingCancellation = cancelled;
        if (!this.aborting) {
          // The parent task is cancelled from outside while children still run.
          propagateCancellation = cancelled;
          this.abort();
        }
      }
      this.allDone = null;
    }

    const parent = this.parentTask!;
    if (this.parentCancelRequested) {
      // We cancelled the parent ourselves: take that back.
      if (parent.uncancel() === 0) propagateCancellation = null;
      // A cancellation left over is someone else's: do not drop it (gh-155433).
      else if (propagateCancellation === null) propagateCancellation = pendingCancellation;
    }
    if (propagateCancellation !== null && this.errors.length === 0) throw propagateCancellation;
    if (error !== NO_ERROR && !(error instanceof CancelledError)) this.errors.push(error);
    if (this.errors.length > 0) {
      // Keep an outside cancellation of the parent counted once, as asyncio does.
      if (parent.cancelling() > 0) {
        parent.uncancel();
        parent.cancel();
      }
      const errors = this.errors;
      this.errors = [];
      throw new ExceptionGroup("unhandled errors in a TaskGroup", errors);
    }
  }

  private abort(): void {
    this.aborting = true;
    for (const task of this.children) if (!task.done()) task.cancel();
  }

  // Marked as the parent awaiting each child, so the call graph shows the children under it.
  private readonly onTaskDone = markAwaitedBy((task: Task<unknown>): void => {
    this.running--;
    if (this.allDone !== null && this.running === 0 && !this.allDone.done()) this.allDone.setResult(true);
    if (task.cancelled()) return;
    const error = task.exception();
    if (error === undefined) return;
    this.errors.push(error);
    const parent = this.parentTask!;
    if (parent.done()) {
      this.loop!.callExceptionHandler({
        message: `Task ${task} has errored out but its parent task ${parent} is already completed`,
        exception: error,
        task,
      });
      return;
    }
    if (!this.aborting && !this.parentCancelRequested) this.abortAndCancelParent();
  }, () => this.parentTask);

  /** Cancels the children, and the parent so that whatever the body waits on stops; exit() takes the parent's cancellation back. */
  private abortAndCancelParent(): void {
    this.abort();
    this.parentCancelRequested = true;
    this.parentTask!.cancel();
  }
}

makeMethodAwaitable(TaskGroup.prototype, "runBody");

/**
 * Runs `body` in a new `TaskGroup` (see there): `yield* taskGroup(function* (tg) { ... })`.
 *
 * @example
 * ```ts
 * yield* taskGroup(function* (tg) {
 *   for (const url of urls) tg.createTask(download(url));
 * });
 * ```
 */
export function taskGroup<T>(body: TaskGroupBody<T>): AwaitableCoro<T> {
  if (isCoroutine(body)) {
    throw new TypeError("taskGroup expects a generator function that receives the group: taskGroup(function* (tg) { ... })");
  }
  return new TaskGroup().run(body);
}
