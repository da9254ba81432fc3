import type { EventLoop } from "./event-loop.js";

/**
 * A callback scheduled on a loop, as asyncio's `Handle`. Returned by `callSoon`;
 * `cancel()` stops it from running if it has not run yet.
 *
 * @example
 * ```ts
 * const handle = loop.callSoon(() => console.log("never"));
 * handle.cancel();
 * ```
 */
export class Handle {
  /** @internal */ _callback: ((...args: any[]) => void) | null;
  // Up to two arguments are stored inline so the loop's hot path allocates no array.
  /** @internal */ _argc: number;
  /** @internal */ _arg0: unknown;
  /** @internal */ _arg1: unknown;
  /** @internal More than two arguments. */ _args: unknown[] | undefined;
  /** @internal */ _cancelled = false;
  /** @internal */ readonly _loop: EventLoop;

  /** @internal */
  constructor(callback: (...args: any[]) => void, argc: number, arg0: unknown, arg1: unknown, args: unknown[] | undefined, loop: EventLoop) {
    this._callback = callback;
    this._argc = argc;
    this._arg0 = arg0;
    this._arg1 = arg1;
    this._args = args;
    this._loop = loop;
  }

  /** Stops the callback from running. Cancelling twice, or after it ran, does nothing. */
  cancel(): void {
    if (!this._cancelled) {
      this._cancelled = true;
      // Drop references so a cancelled handle waiting in a queue holds nothing alive.
      this._callback = null;
      this._arg0 = this._arg1 = this._args = undefined;
    }
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return this._cancelled;
  }

  /** The loop the callback is scheduled on. */
  getLoop(): EventLoop {
    return this._loop;
  }

  /** @internal Runs the callback; the loop reports what it throws. */
  _run(): void {
    const callback = this._callback!;
    switch (this._argc) {
      case 0:
        return callback();
      case 1:
        return callback(this._arg0);
      case 2:
        return callback(this._arg0, this._arg1);
      default:
        return callback(...this._args!);
    }
  }

  /** @internal A short description for error messages. */
  _describe(): string {
    const name = this._callback?.name || "anonymous callback";
    return `<${this.constructor.name} ${name}${this._cancelled ? " cancelled" : ""}>`;
  }
}

/**
 * A callback scheduled for a time: returned by `callLater` and `callAt`.
 * `when()` is the loop time (ms) it is due at.
 *
 * @example
 * ```ts
 * const handle = loop.callLater(100, () => console.log("late"));
 * handle.when(); // loop.time() + 100 at the time of the call
 * ```
 */
export class TimerHandle extends Handle {
  /** @internal */ readonly _when: number;
  /** @internal Tie-break so timers due at the same time run in scheduling order. */
  readonly _sequence: number;
  /** @internal Whether it still sits in the loop's timer heap. */
  _scheduled = true;

  /** @internal */
  constructor(when: number, sequence: number, callback: (...args: any[]) => void, args: unknown[], loop: EventLoop) {
    super(callback, args.length, args[0], args[1], args.length > 2 ? args : undefined, loop);
    this._when = when;
    this._sequence = sequence;
  }

  /** The loop time (ms) the callback is due at. */
  when(): number {
    return this._when;
  }

  override cancel(): void {
    if (!this._cancelled && this._scheduled) this._loop._timerCancelled();
    super.cancel();
  }
}
