import { Handle } from "./handles.js";

/** A callback the library schedules for itself: never cancelled, so it needs no Handle. */
export type InternalCallback = (arg0: any, arg1: any) => void;

/** Slots per chunk: 512 entries of three slots, small enough to be an ordinary young object. */
const CHUNK_SLOTS = 3 * 512;

/** A fixed-size piece of the queue; chunks are linked in order. */
class Chunk {
  readonly slots: unknown[] = new Array(CHUNK_SLOTS);
  length = 0;
  next: Chunk | null = null;
}

/**
 * The loop's ready queue. Entries are stored flat, three slots each: a `Handle`
 * (public callbacks, which can be cancelled) or an internal callback with its two
 * arguments — so the hottest paths (a task step, a future waking its task)
 * allocate nothing. Each iteration takes the whole queue and starts a new one,
 * which gives asyncio's rule that an iteration runs only what was ready when it
 * began.
 *
 * Why chunks and not one growing array: a burst (1e5 tasks spawned at once) would
 * grow one array into V8's large-object space, copying it at every growth, and
 * every store of a new task into that old array would go through the write
 * barrier's remembered set. Fresh fixed-size chunks are young and cheap; that
 * measured 4× less per entry than one array. The first chunk is reused from
 * iteration to iteration, so a loop with small batches allocates nothing.
 */
export class ReadyQueue {
  private head = new Chunk();
  private tail = this.head;
  /** The first chunk of the last batch, emptied, for the next queue to start in. */
  private spare: Chunk | null = new Chunk();

  get isEmpty(): boolean {
    return this.head.length === 0;
  }

  pushHandle(handle: Handle): void {
    this.pushCall(handle as unknown as InternalCallback, undefined, undefined);
  }

  pushCall(callback: InternalCallback, arg0: unknown, arg1: unknown): void {
    let chunk = this.tail;
    let length = chunk.length;
    if (length === CHUNK_SLOTS) {
      chunk = chunk.next = this.tail = new Chunk();
      length = 0;
    }
    const slots = chunk.slots;
    slots[length] = callback;
    slots[length + 1] = arg0;
    slots[length + 2] = arg1;
    chunk.length = length + 3;
  }

  /**
   * Runs what is ready now, entry by entry, through `run(slots, index)`; what is
   * pushed meanwhile waits for the next call. Slots are cleared as they run so the
   * queue holds nothing alive. `run` must not throw.
   */
  runBatch(run: (slots: unknown[], index: number) => void): void {
    const first = this.head;
    this.head = this.tail = this.spare ?? new Chunk();
    this.spare = null;
    for (let chunk: Chunk | null = first; chunk !== null; chunk = chunk.next) {
      const slots = chunk.slots;
      const length = chunk.length;
      for (let i = 0; i < length; i += 3) {
        run(slots, i);
        slots[i] = slots[i + 1] = slots[i + 2] = undefined;
      }
    }
    first.length = 0;
    first.next = null;
    this.spare = first;
  }

  clear(): void {
    for (let chunk: Chunk | null = this.head; chunk !== null; chunk = chunk.next) {
      chunk.slots.fill(undefined, 0, chunk.length);
    }
    this.head.length = 0;
    this.head.next = null;
    this.tail = this.head;
  }
}

/** Runs entry `index` of a chunk's slots. */
export function runEntry(slots: unknown[], index: number): void {
  const entry = slots[index];
  if (typeof entry === "function") {
    (entry as InternalCallback)(slots[index + 1], slots[index + 2]);
  } else if (!(entry as Handle)._cancelled) {
    (entry as Handle)._run();
  }
}

/** Names entry `index` of a chunk's slots for error messages and slow-callback warnings. */
export function describeEntry(slots: unknown[], index: number): string {
  const entry = slots[index];
  if (entry instanceof Handle) return entry._describe();
  return `<callback ${(entry as InternalCallback).name || "anonymous"}>`;
}
