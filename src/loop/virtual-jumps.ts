import { host } from "#platform";

/** The first batch of jumps a loop queues on the host, and the batch it falls back to. */
const MIN_BATCH = 16;
/**
 * The largest batch: the host's own work (I/O, its timers) waits for at most this
 * many jumps. A queued jump costs ~0.1 µs in Node, where one more host iteration
 * (its poll for I/O) costs ~4 µs, so large batches are what make a run of short
 * jumps cheap.
 */
const MAX_BATCH = 256;

/**
 * The host macrotasks a loop on a virtual clock moves time from.
 *
 * Virtual time may jump only once the host's microtasks have settled, which a
 * macrotask proves. Hosts settle microtasks between the macrotasks queued
 * together (Node between the immediates of one check phase, browsers between
 * message events), so jumps are queued in batches: a run of short jumps pays for
 * one host iteration per batch, not one each. A batch used up by jumps doubles
 * the next one (up to `MAX_BATCH`); a batch with a jump that found nothing to do
 * (work arrived, or the loop stopped) sets it back, so a loop that idles rarely
 * leaves more than a few no-op macrotasks behind.
 *
 * @internal
 */
export class VirtualJumps {
  private queued = 0;
  /** Jumps of the last batch that found nothing to do. */
  private wasted = 0;
  private batch = 0;

  /** `jump` moves time if it may, and says whether it did. */
  constructor(private readonly jump: () => boolean) {}

  /** Makes sure a jump will come: queues a batch unless jumps are still queued. */
  request(): void {
    if (this.queued > 0) return;
    // Called from inside the last jump of a batch as well (time moved, the loop
    // drained, it is idle again): that jump counts as used.
    this.batch = this.wasted === 0 ? Math.min(Math.max(MIN_BATCH, this.batch * 2), MAX_BATCH) : MIN_BATCH;
    this.wasted = 0;
    this.queued = this.batch;
    for (let i = 0; i < this.batch; i++) host.scheduleMacrotask(this.run);
  }

  private readonly run = (): void => {
    // Counted off first: the jump may drain the loop, which asks for the next batch.
    this.queued--;
    if (!this.jump()) this.wasted++;
  };
}
