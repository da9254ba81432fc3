import { Handle } from "./handles.js";

/** A callback the library schedules for itself: never cancelled, so it needs no Handle. */
export type InternalCallback = (arg0: any, arg1: any) => void;

/**
 * The loop's ready queue. Entries are stored flat, three slots each: a `Handle`
 * (public callbacks, which can be cancelled) or an internal callback with its two
 * arguments — so the hottest paths (a task step, a future waking its task)
 * allocate nothing. Two buffers swap at each iteration, which gives asyncio's rule
 * that an iteration runs only what was ready when it began.
 */
export class ReadyQueue {
  // Buffers keep their capacity across iterations: a burst of 1e5 task steps does
  // not regrow an array every time. Lengths are tracked by hand for that reason.
  private current: unknown[] = [];
  private currentLength = 0;
  private spare: unknown[] = [];

  get isEmpty(): boolean {
    return this.currentLength === 0;
  }

  pushHandle(handle: Handle): void {
    this.pushCall(handle as unknown as InternalCallback, undefined, undefined);
  }

  pushCall(callback: InternalCallback, arg0: unknown, arg1: unknown): void {
    const buffer = this.current;
    const length = this.currentLength;
    buffer[length] = callback;
    buffer[length + 1] = arg0;
    buffer[length + 2] = arg1;
    this.currentLength = length + 3;
  }

  /**
   * Runs what is ready now, entry by entry, through `run(batch, index)`; what is
   * pushed meanwhile waits for the next call. Slots are cleared as they run so the
   * buffer holds nothing alive.
   */
  runBatch(run: (batch: unknown[], index: number) => void): void {
    const batch = this.current;
    const length = this.currentLength;
    this.current = this.spare;
    this.currentLength = 0;
    for (let i = 0; i < length; i += 3) {
      run(batch, i);
      batch[i] = batch[i + 1] = batch[i + 2] = undefined;
    }
    this.spare = batch;
  }

  clear(): void {
    this.current.fill(undefined, 0, this.currentLength);
    this.currentLength = 0;
  }
}

/** Runs entry `index` of a batch. */
export function runEntry(batch: unknown[], index: number): void {
  const entry = batch[index];
  if (typeof entry === "function") {
    (entry as InternalCallback)(batch[index + 1], batch[index + 2]);
  } else if (!(entry as Handle)._cancelled) {
    (entry as Handle)._run();
  }
}

/** Names entry `index` of a batch for error messages and slow-callback warnings. */
export function describeEntry(batch: unknown[], index: number): string {
  const entry = batch[index];
  if (entry instanceof Handle) return entry._describe();
  return `<callback ${(entry as InternalCallback).name || "anonymous"}>`;
}
