import { host } from "#platform";

/**
 * Debug mode's watch on a blocked thread: a host timer that should fire every
 * `threshold / 2` ms. When it fires much later than that, something kept the
 * thread busy — one of the loop's callbacks (which the slow-callback warning also
 * names), or code outside the loop (a UI handler, a host callback) that no
 * callback timing sees — and `warn` hears how long. The timer never keeps a Node
 * process alive.
 */
export class BlockedWatchdog {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private due = 0;

  constructor(
    private readonly threshold: () => number,
    private readonly warn: (message: string) => void,
  ) {}

  start(): void {
    if (this.timer === null) this.arm();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    const interval = Math.max(1, this.threshold() / 2);
    this.due = host.now() + interval;
    this.timer = setTimeout(this.check, interval);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private readonly check = (): void => {
    const late = host.now() - this.due;
    const threshold = this.threshold();
    if (late > threshold) {
      this.warn(`The thread was blocked for ${late.toFixed(0)} ms (longer than blockedThreshold, ${threshold} ms): no callback, timer or I/O could run meanwhile. Move long synchronous work to a worker (toThread, WorkerPool) or break it up with yield* sleep(0).`);
    }
    this.arm();
  };
}
