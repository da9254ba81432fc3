// CPython's asyncio.TaskGroup as of its main branch in 2026 (Lib/asyncio/taskgroups.py:
// __aenter__, _aexit, create_task, _abort, _on_task_done and cancel, with the fixes
// gh-128550, gh-155418 and gh-155433), line for line, as a coroutine around a body,
// on this library's loop and tasks: the reference TaskGroup is compared with in
// task-group.differential.test.ts. JavaScript has no BaseException, so the
// SystemExit/KeyboardInterrupt/GeneratorExit branches have nothing to port.
import {
  CancelledError,
  type Coro,
  type EventLoop,
  ExceptionGroup,
  type Future,
  RuntimeError,
  type Task,
  type TaskBody,
  type TaskOptions,
  currentTask,
  getRunningLoop,
  isCoroutine,
} from "../../src/index.js";

const NO_ERROR = Symbol("no error");

export class ReferenceTaskGroup {
  private entered = false;
  private exiting = false;
  private aborting = false;
  private loop: EventLoop | null = null;
  private parentTask: Task<unknown> | null = null;
  private parentCancelRequested = false;
  private tasks = new Set<Task<unknown>>();
  private errors: unknown[] = [];
  private onCompletedFut: Future<boolean> | null = null;
  private cancelOnEnter = false;

  /** `async with TaskGroup() as tg: return await body(tg)`; an error `_aexit` suppresses gives `undefined`. */
  *run<T>(body: (tg: ReferenceTaskGroup) => Coro<T>): Coro<T> {
    this.aenter();
    let result: T;
    try {
      result = yield* body(this);
    } catch (error) {
      yield* this.aexit(error);
      return undefined as T;
    }
    yield* this.aexit(NO_ERROR);
    return result;
  }

  private aenter(): void {
    if (this.entered) throw new RuntimeError("TaskGroup has already been entered");
    if (this.loop === null) this.loop = getRunningLoop();
    this.parentTask = currentTask(this.loop);
    if (this.parentTask === null) throw new RuntimeError("TaskGroup cannot determine the parent task");
    this.entered = true;
    if (this.cancelOnEnter) this.cancel();
  }

  private *aexit(exc: unknown): Coro<void> {
    try {
      yield* this.exitBody(exc);
    } finally {
      this.parentTask = null;
    }
  }

  private *exitBody(exc: unknown): Coro<void> {
    this.exiting = true;
    let propagateCancellationError: unknown = exc instanceof CancelledError ? exc : null;
    if (exc !== NO_ERROR) {
      if (!this.aborting) this.abort();
    }
    let pendingCancellationError: unknown = null;
    while (this.tasks.size > 0) {
      if (this.onCompletedFut === null) this.onCompletedFut = this.loop!.createFuture<boolean>();
      try {
        yield* this.onCompletedFut;
      } catch (ex) {
        if (!(ex instanceof CancelledError)) throw ex;
        pendingCancellationError = ex;
        if (!this.aborting) {
          propagateCancellationError = ex;
          this.abort();
        }
      }
      this.onCompletedFut = null;
    }

    if (this.parentCancelRequested) {
      if (this.parentTask!.uncancel() === 0) propagateCancellationError = null;
      else if (propagateCancellationError === null) propagateCancellationError = pendingCancellationError;
    }
    if (propagateCancellationError !== null && this.errors.length === 0) throw propagateCancellationError;
    if (exc !== NO_ERROR && !(exc instanceof CancelledError)) this.errors.push(exc);
    if (this.errors.length > 0) {
      if (this.parentTask!.cancelling()) {
        this.parentTask!.uncancel();
        this.parentTask!.cancel();
      }
      throw new ExceptionGroup("unhandled errors in a TaskGroup", this.errors);
    }
  }

  createTask<T>(coro: TaskBody<T>, options?: TaskOptions): Task<T> {
    const refuse = (why: string): never => {
      if (isCoroutine(coro)) coro.return(undefined as T);
      throw new RuntimeError(`TaskGroup ${why}`);
    };
    if (!this.entered) refuse("has not been entered");
    if (this.exiting && this.tasks.size === 0) refuse("is finished");
    if (this.aborting) refuse("is shutting down");
    const task = this.loop!.createTask(coro, options);
    this.tasks.add(task as Task<unknown>);
    task.addDoneCallback(this.onTaskDone);
    if (this.aborting && !task.done()) task.cancel();
    return task;
  }

  private abort(): void {
    this.aborting = true;
    for (const t of this.tasks) if (!t.done()) t.cancel();
  }

  private readonly onTaskDone = (task: Task<unknown>): void => {
    this.tasks.delete(task);
    if (this.onCompletedFut !== null && this.tasks.size === 0) {
      if (!this.onCompletedFut.done()) this.onCompletedFut.setResult(true);
    }
    if (task.cancelled()) return;
    const exc = task.exception();
    if (exc === undefined) return;
    this.errors.push(exc);
    if (this.parentTask!.done()) {
      this.loop!.callExceptionHandler({
        message: `Task ${task} has errored out but its parent task ${this.parentTask} is already completed`,
        exception: exc,
        task,
      });
      return;
    }
    if (!this.aborting && !this.parentCancelRequested) {
      this.abort();
      this.parentCancelRequested = true;
      this.parentTask!.cancel();
    }
  };

  cancel(): void {
    if (!this.entered) {
      this.cancelOnEnter = true;
      return;
    }
    if (this.exiting && this.tasks.size === 0) return;
    if (!this.aborting) {
      this.abort();
      if (this.parentTask !== null && !this.parentCancelRequested) {
        this.parentCancelRequested = true;
        this.parentTask.cancel();
      }
    }
  }
}
