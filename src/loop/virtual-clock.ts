import { describeValue } from "../errors.js";

/**
 * A clock a loop can run on instead of the host's: time stands still while
 * callbacks are ready and jumps straight to the next timer when nothing is —
 * an hour of timeouts runs in a millisecond, the same way every run.
 *
 * The jump waits until the host's microtasks have settled (one macrotask), so
 * `async` code awaiting futures still runs before time moves on. Real I/O (a
 * socket, a worker) does not hold time back: use it for logic, not for I/O.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * await run(function* () { yield* sleep(3_600_000); }(), { clock });
 * clock.now(); // 3600000, reached in about a millisecond
 * ```
 */
export class VirtualClock {
  /** Marks this clock for the loop: jump when idle. */
  readonly virtual = true;
  private current: number;

  /** `start`: the time it shows first, in milliseconds (a finite number). */
  constructor(start = 0) {
    if (typeof start !== "number" || !Number.isFinite(start)) {
      throw new TypeError(`VirtualClock expects a start time in milliseconds (a finite number), got ${describeValue(start)}`);
    }
    this.current = start;
  }

  /** The virtual time in milliseconds. */
  now(): number {
    return this.current;
  }

  /**
   * Moves time forward to `time`. The loop calls this when idle; tests may call it
   * too. Time never goes backwards.
   */
  advanceTo(time: number): void {
    if (typeof time !== "number" || Number.isNaN(time)) throw new TypeError(`advanceTo expects a time in milliseconds, got ${describeValue(time)}`);
    // A deadline of Infinity (sleep(Infinity)) is never reached: time stays finite.
    if (time > this.current && Number.isFinite(time)) this.current = time;
  }
}

/** What a loop needs of a clock. */
export interface Clock {
  /** The time in milliseconds. */
  now(): number;
  /** `true` for a clock the loop moves itself, jumping to the next timer when idle. */
  readonly virtual?: boolean;
  /** Moves a virtual clock forward to `time`. */
  advanceTo?(time: number): void;
}
