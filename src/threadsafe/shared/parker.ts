/**
 * How one thread's tasks wait on one shared region through the thread's loop.
 *
 * An `Atomics.waitAsync` cannot be cancelled, and in Node a pending one does not
 * keep the thread alive. So a thread keeps at most one outstanding per region, on
 * its own park word, always with a timeout; when it settles (a poke, or the timeout)
 * the loop re-checks every waiting task's record and arms the next one only if some
 * task still waits. A cancelled task just leaves the set: 1e5 cancelled waits leave
 * at most the one pending `waitAsync`, which expires. Beside it a loop timer runs
 * while anything waits, which keeps a Node thread alive and re-checks even if a
 * poke was lost (a granter that died between its grant and its poke).
 */
import type { Future } from "../../futures/future.js";
import type { TimerHandle } from "../../loop/handles.js";
import type { EventLoop } from "../../loop/event-loop.js";
import { getRunningLoop } from "../../loop/running-loop.js";
import { type SharedRegion, waitAsync } from "./region.js";

/** How long one `waitAsync` (and the keep-alive timer beside it) lasts (ms). */
const WAIT_MS = 1000;

let pendingWaits = 0;

/** @internal How many `Atomics.waitAsync` calls of this thread are pending now (for tests). */
export function pendingWaitAsyncs(): number {
  return pendingWaits;
}

export class Parker {
  /** Each waiting task's future, with the check that says whether its wait is over. */
  private readonly waiting = new Map<Future<void>, () => boolean>();
  private loop: EventLoop | null = null;
  private asyncPending = false;
  private checkScheduled = false;
  private keepAlive: TimerHandle | null = null;

  constructor(private readonly region: SharedRegion) {}

  /**
   * A future of this thread's running loop that is resolved once `over()` holds;
   * `over` is re-checked on every poke of this thread and at every timeout. Cancel
   * the future to stop waiting.
   */
  until(over: () => boolean): Future<void> {
    const loop = getRunningLoop();
    if (this.loop !== loop) {
      // A new loop on this thread (one run() after another): the old one's waits are over.
      this.waiting.clear();
      this.keepAlive = null;
      this.checkScheduled = false;
      this.loop = loop;
    }
    const future = loop.createFuture<void>();
    this.waiting.set(future, over); // a cancelled one is dropped at the next check
    this.checkSoon();
    return future;
  }

  /** Re-checks the waits in a moment (a grant this thread made to itself, or a settled `waitAsync`). */
  checkSoon(): void {
    const loop = this.loop;
    if (this.checkScheduled || loop === null || loop.isClosed()) return;
    this.checkScheduled = true;
    loop.callSoon(this.check);
  }

  private readonly check = (): void => {
    this.checkScheduled = false;
    const region = this.region;
    // Read the park word before the records: a poke after this makes the wait below return at once.
    const value = region.parkValue(region.slot);
    for (const [future, over] of this.waiting) {
      if (future.done()) this.waiting.delete(future);
      else if (over()) {
        this.waiting.delete(future);
        future.setResult();
      }
    }
    if (this.waiting.size === 0) {
      this.keepAlive?.cancel();
      this.keepAlive = null;
      return;
    }
    this.keepAlive ??= this.loop!.callLater(WAIT_MS, this.onKeepAlive);
    if (this.asyncPending) return; // it is still out: a poke settles it
    const result = waitAsync!(region.words, region.parkIndex(region.slot), value, WAIT_MS);
    if (!result.async) {
      this.checkSoon(); // poked meanwhile
      return;
    }
    this.asyncPending = true;
    pendingWaits++;
    void result.value.then(this.settled);
  };

  private readonly settled = (): void => {
    this.asyncPending = false;
    pendingWaits--;
    // A settled waitAsync is a host task of its own: the host just had its turn,
    // so the check may run on microtasks. Without this, a thread woken from idle
    // more than a slice budget after its last host turn took a macrotask detour
    // first: about one wake in seven, each 60-500 µs later (measured, one-way bench).
    this.loop?._hostTurn();
    // Check here, between the loop's iterations, rather than in the next one: the
    // woken tasks are then scheduled an iteration sooner (3-7 µs → 2-3 µs from the
    // wake to the check on a thread woken from idle, measured with time stamps).
    const loop = this.loop;
    if (this.checkScheduled || loop === null || loop.isClosed()) return;
    this.check();
  };

  private readonly onKeepAlive = (): void => {
    this.keepAlive = null;
    this.check();
  };
}
