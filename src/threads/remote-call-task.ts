import { type Future, cancelledError } from "../futures/future.js";
import { type RemoteCallInfo, SETTLED_FROM_OUTSIDE, Task } from "../futures/task.js";
import type { EventLoop } from "../loop/event-loop.js";

/** Where a sent call's cancellation request goes: the connection it was sent on. */
export interface CancelChannel {
  _requestCancel(id: number, message: string): void;
  /** Who is on the other side, for reports. */
  readonly peerName: string;
}

/**
 * The local task of a call to a function on another thread. No coroutine runs
 * here: the reply from the other side ends it. `cancel()` of a sent call is a
 * request sent across, and the task ends with whatever the remote coroutine does
 * with it — cancelled once it has unwound, or its value if it swallowed the
 * cancellation, as a local task would. A call not sent yet (waiting in a
 * `WorkerPool`'s queue) is cancelled at once and never runs.
 *
 * One object per call, where a generic task would need a coroutine waiting on a
 * separate future: calls are the hot path of every thread benchmark.
 */
export class RemoteCallTask<T> extends Task<T> {
  /** @internal The connection the call went out on, and its id there; null until sent. */
  _sentOn: CancelChannel | null = null;
  /** @internal */ _id = 0;
  /** @internal Told when an unsent call is cancelled, so its queue can drop it. */
  _onDropped: ((call: Future<unknown>) => void) | null = null;
  private cancelSent = false;
  private named = false;

  constructor(
    loop: EventLoop,
    /** The exposed function's name. */
    readonly callName: string,
    /** Its arguments, cloned when the call is sent. */
    readonly args: readonly unknown[],
  ) {
    // The public constructor signature does not show the internal body marker.
    super(SETTLED_FROM_OUTSIDE as never, loop);
  }

  /** `name#id` once sent, `pool name` while queued, unless renamed. */
  override getName(): string {
    if (this.named) return super.getName();
    return this._sentOn === null ? `pool ${this.callName}` : `${this.callName}#${this._id}`;
  }

  override setName(name: string): void {
    this.named = true;
    super.setName(name);
  }

  /** @internal */
  override _remoteCall(): RemoteCallInfo {
    return { thread: this._sentOn?.peerName ?? null, function: this.callName, callId: this._id };
  }

  override cancel(message?: string): boolean {
    if (this.done()) return false;
    this._countCancelRequest(message);
    const channel = this._sentOn;
    if (channel === null) {
      this._finishWithError(cancelledError(message ?? ""));
      this._onDropped?.(this);
      return true;
    }
    if (!this.cancelSent) {
      this.cancelSent = true;
      channel._requestCancel(this._id, message ?? "");
    }
    return true;
  }

  /** @internal The other side returned `value`. */
  _resolve(value: T): void {
    this._finishWithResult(value);
  }

  /** @internal The call failed (remotely, or it could not be delivered). */
  _reject(error: unknown): void {
    this._finishWithError(error);
  }

  /** @internal The remote call ended cancelled, after unwinding. */
  _remoteCancelled(message: string): void {
    this._finishWithError(cancelledError(message));
  }
}
