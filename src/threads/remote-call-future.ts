import type { Coro } from "../futures/coroutine.js";
import { Future } from "../futures/future.js";
import { Task } from "../futures/task.js";
import type { EventLoop } from "../loop/event-loop.js";

/** Where a sent call's cancellation request goes: the connection it was sent on. */
export interface CancelChannel {
  _requestCancel(id: number, message: string): void;
}

/**
 * The future of a call to a function on another thread. Like a task, `cancel()`
 * of a sent call is a request: it is sent across, and the future ends with
 * whatever the remote coroutine does with it — cancelled once it has unwound, or
 * its value if it swallowed the cancellation. A call not sent yet (waiting in a
 * `WorkerPool`'s queue) is cancelled at once and never runs.
 */
export class RemoteCallFuture<T> extends Future<T> {
  /** @internal The connection the call went out on, and its id there; null until sent. */
  _sentOn: CancelChannel | null = null;
  /** @internal */ _id = 0;
  /** @internal Told when an unsent call is cancelled, so its queue can drop it. */
  _onDropped: ((call: Future<unknown>) => void) | null = null;
  private cancelSent = false;

  constructor(
    loop: EventLoop,
    /** The exposed function's name. */
    readonly name: string,
    /** Its arguments, cloned when the call is sent. */
    readonly args: readonly unknown[],
  ) {
    super(loop);
  }

  override cancel(message?: string): boolean {
    if (this.done()) return false;
    const channel = this._sentOn;
    if (channel === null) {
      super.cancel(message);
      this._onDropped?.(this);
      return true;
    }
    if (!this.cancelSent) {
      this.cancelSent = true;
      channel._requestCancel(this._id, message ?? "");
    }
    return true;
  }

  /** @internal The remote call ended cancelled. */
  _cancelled(message: string): void {
    super.cancel(message);
  }
}

/**
 * The local task of a remote call: it waits on the call's future, so cancelling
 * the task sends the cancellation across and the task ends once the remote side
 * has unwound. Eager, so the task is waiting (and a cancel reaches the call) as
 * soon as it is returned.
 */
export function taskOfRemoteCall<T>(call: RemoteCallFuture<T>, loop: EventLoop, name: string): Task<T> {
  return new Task(awaitCall(call), loop, { name, eager: true });
}

function* awaitCall<T>(call: Future<T>): Coro<T> {
  return yield* call;
}
