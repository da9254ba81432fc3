/**
 * A queue in shared memory: the state of a `ThreadSafeQueue` (FIFO or LIFO) on the
 * shared backend, with asyncio's rules over every thread.
 *
 * Items are bytes (through the queue's codec) in a second, growable buffer, laid
 * out as `[length][bytes…][length]` records, 4-byte aligned, between a start and an
 * end offset: a FIFO takes at the start, a LIFO at the end; when the end reaches
 * the buffer's end, the records move to the front or the buffer grows.
 *
 * Three gates: getters, putters (of a bounded queue) and joiners. A put hands its
 * item to the first getter by reserving it (the getter takes an item when it
 * collects); a get hands the freed place to the first putter the same way. A
 * waiter that gives up after its grant passes the reservation on; so a cancelled
 * `get` takes nothing and a cancelled `put` adds nothing.
 */
import { QueueShutDown, RuntimeError, ValueError, WorkerCrashedError } from "../../errors.js";
import type { Coro } from "../../futures/coroutine.js";
import { NOT_NOW, SharedCore, type WaitPlan } from "./core.js";
import { FAILED, GRANTED } from "./gate.js";

const SIZE = 0;
const UNFINISHED = 1;
const SHUT_DOWN = 2;
const MAXSIZE = 3;
const LIFO = 4;
/** Items reserved for getters that were granted them and have not taken them yet. */
const RESERVED_ITEMS = 5;
/** Places reserved for putters granted one. */
const RESERVED_PLACES = 6;
/** Set when a thread died holding items not marked done: `join()` fails. */
const LOST = 7;
/** Where the records start and end, in words of the data buffer. */
const START = 8;
const END = 9;

const GETTERS = 0;
const PUTTERS = 1;
const JOINERS = 2;

/** Why a wait failed. */
const WHY_SHUT_DOWN = 1;
const WHY_LOST = 2;

/** A growable `SharedArrayBuffer` (ES2024; typed here so that the package's types need no ES2024 lib). */
interface GrowableBuffer extends SharedArrayBuffer {
  readonly growable: boolean;
  grow(byteLength: number): void;
}
type GrowableBufferConstructor = new (length: number, options: { maxByteLength: number }) => GrowableBuffer;

const INITIAL_DATA_BYTES = 64 * 1024;
/** The most the item buffer grows to: beyond it a put fails. */
const MAX_DATA_BYTES = 256 * 1024 * 1024;

export class SharedItems {
  // Views of the item buffer as long as it was when they were made, remade when it
  // has grown (`mapData`). Not length-tracking views: in V8 (Node 20) an element
  // access through one of those costs ~50 ns, through a fixed-length view ~3 ns,
  // and a put and a get make a dozen inside the critical section.
  private data!: Int32Array;
  private bytes!: Uint8Array;
  private readonly getPlan: WaitPlan<Uint8Array>;
  private readonly putPlan: WaitPlan<void, Uint8Array>;
  private readonly joinPlan: WaitPlan<void>;

  private constructor(
    readonly core: SharedCore,
    readonly dataBuffer: GrowableBuffer,
  ) {
    this.mapData();
    const region = core.region;
    this.getPlan = {
      attempt: () => {
        if (region.field(SIZE) - region.field(RESERVED_ITEMS) > 0 && !core.gates[GETTERS]!.hasWaiting()) return this.take();
        if (region.field(SHUT_DOWN) !== 0) throw shutDownError();
        return NOT_NOW;
      },
      granted: () => {
        region.setField(RESERVED_ITEMS, region.field(RESERVED_ITEMS) - 1);
        if (region.field(SIZE) === 0) throw shutDownError(); // dropped by shutdown(true) meanwhile
        return this.take();
      },
      failed: (why) => this.error(why),
      passOn: () => {
        region.setField(RESERVED_ITEMS, region.field(RESERVED_ITEMS) - 1);
        this.itemAdded();
      },
    };
    this.putPlan = {
      attempt: (bytes) => {
        if (region.field(SHUT_DOWN) !== 0) throw shutDownError();
        const maxsize = region.field(MAXSIZE);
        if (maxsize > 0 && (region.field(SIZE) + region.field(RESERVED_PLACES) >= maxsize || core.gates[PUTTERS]!.hasWaiting())) return NOT_NOW;
        this.add(bytes);
        return undefined;
      },
      retain: (bytes) => bytes.slice(),
      granted: (_, bytes) => {
        region.setField(RESERVED_PLACES, region.field(RESERVED_PLACES) - 1);
        if (region.field(SHUT_DOWN) !== 0) {
          this.placeFreed();
          throw shutDownError();
        }
        this.add(bytes);
      },
      failed: (why) => this.error(why),
      passOn: () => {
        region.setField(RESERVED_PLACES, region.field(RESERVED_PLACES) - 1);
        this.placeFreed();
      },
    };
    this.joinPlan = {
      attempt: () => {
        if (region.field(LOST) !== 0) throw this.error(WHY_LOST);
        return region.field(UNFINISHED) === 0 ? undefined : NOT_NOW;
      },
      granted: () => undefined,
      failed: (why) => this.error(why),
    };
  }

  static create(maxsize: number, lifo: boolean, what: string): SharedItems {
    const core = SharedCore.create(3, what);
    core.critical(() => {
      core.region.setField(MAXSIZE, maxsize);
      core.region.setField(LIFO, lifo ? 1 : 0);
    });
    return new SharedItems(core, new (SharedArrayBuffer as unknown as GrowableBufferConstructor)(INITIAL_DATA_BYTES, { maxByteLength: MAX_DATA_BYTES }));
  }

  static attach(buffer: unknown, dataBuffer: unknown, slot: unknown, what: string): SharedItems {
    const core = SharedCore.attach(buffer, 3, slot, what);
    if (!(dataBuffer instanceof SharedArrayBuffer) || !(dataBuffer as GrowableBuffer).growable) {
      throw new TypeError(`${what}: its item buffer from another thread is not the growable SharedArrayBuffer it was made with`);
    }
    return new SharedItems(core, dataBuffer as GrowableBuffer);
  }

  get buffer(): SharedArrayBuffer {
    return this.core.region.buffer;
  }

  qsize(): number {
    return this.core.region.peek(SIZE);
  }

  isShutDown(): boolean {
    return this.core.region.peek(SHUT_DOWN) !== 0;
  }

  private error(why: number): Error {
    if (why === WHY_LOST) return lostError(this.core.region.field(LOST), this.core.what);
    return shutDownError();
  }

  put(bytes: Uint8Array): Coro<void> {
    return this.core.wait(PUTTERS, this.putPlan, bytes);
  }

  /** Adds at once if that needs no wait (a place free, no earlier waiter, the mutex free); else false. */
  putAtOnce(bytes: Uint8Array): boolean {
    return this.core.tryNow(this.putPlan, bytes) !== NOT_NOW;
  }

  /** Adds at once or returns false (full); `QueueShutDown` once shut down. */
  putNowait(bytes: Uint8Array): boolean {
    return this.core.critical(() => this.putPlan.attempt(bytes) !== NOT_NOW);
  }

  *get(): Coro<Uint8Array> {
    return yield* this.core.wait(GETTERS, this.getPlan);
  }

  /** Takes at once if that needs no wait (an item there, no earlier waiter, the mutex free); else `NOT_NOW`. */
  getAtOnce(): Uint8Array | typeof NOT_NOW {
    return this.core.tryNow(this.getPlan);
  }

  /** Takes at once, or `null` (empty); `QueueShutDown` once shut down and empty. */
  getNowait(): Uint8Array | null {
    return this.core.critical(() => {
      const got = this.getPlan.attempt(undefined);
      return got === NOT_NOW ? null : got;
    });
  }

  putBlocking(bytes: Uint8Array, timeoutMs: number | null, what: string): boolean {
    return !this.core.waitBlocking(PUTTERS, this.putPlan, timeoutMs, what, bytes).timedOut;
  }

  getBlocking(timeoutMs: number | null, what: string): Uint8Array | null {
    const outcome = this.core.waitBlocking(GETTERS, this.getPlan, timeoutMs, what);
    return outcome.timedOut ? null : outcome.result;
  }

  *join(): Coro<void> {
    yield* this.core.wait(JOINERS, this.joinPlan);
  }

  taskDone(): void {
    this.core.critical(() => {
      const region = this.core.region;
      const unfinished = region.field(UNFINISHED);
      if (unfinished <= 0) throw new ValueError("taskDone() called too many times: call it once per item taken with get().");
      region.setField(UNFINISHED, unfinished - 1);
      this.core.region.countOneLess(this.core.slot);
      if (unfinished === 1) this.core.gates[JOINERS]!.settleAll(GRANTED, 0, (slot) => this.core.wake(slot));
    });
  }

  shutdown(immediate: boolean): void {
    const core = this.core;
    core.criticalOrLater(() => {
      const region = core.region;
      region.setField(SHUT_DOWN, 1);
      if (immediate) {
        let unfinished = region.field(UNFINISHED);
        for (let size = region.field(SIZE); size > 0; size--) {
          this.pop();
          if (unfinished > 0) unfinished--;
        }
        region.setField(SIZE, 0);
        region.setField(UNFINISHED, unfinished);
        if (unfinished === 0) core.gates[JOINERS]!.settleAll(GRANTED, 0, (slot) => core.wake(slot));
      }
      core.gates[GETTERS]!.settleAll(FAILED, WHY_SHUT_DOWN, (slot) => core.wake(slot));
      core.gates[PUTTERS]!.settleAll(FAILED, WHY_SHUT_DOWN, (slot) => core.wake(slot));
    });
  }

  /** The thread in `slot` died: its waits are withdrawn; items it took and never marked done fail `join()`. */
  threadDied(slot: number): void {
    const core = this.core;
    const region = core.region;
    core.forgetDeadThread(
      slot,
      () => {
        if (region.perSlot(slot) === 0 || region.field(LOST) !== 0) return;
        region.setField(LOST, region.perSlot(slot));
        core.gates[JOINERS]!.settleAll(FAILED, WHY_LOST, (waiter) => core.wake(waiter));
      },
      (gate) => {
        if (gate === GETTERS) this.getPlan.passOn!(0);
        else if (gate === PUTTERS) this.putPlan.passOn!(0);
      },
    );
  }

  /** Inside a section: appends an item, counts it, and hands it to the first getter. */
  private add(bytes: Uint8Array): void {
    const region = this.core.region;
    const words = (bytes.length + 3) >>> 2;
    let end = region.field(END);
    if (end + words + 2 > this.data.length) {
      this.mapData(); // another thread may have grown the buffer
      if (end + words + 2 > this.data.length) end = this.makeRoom(words + 2);
    }
    const data = this.data;
    // The record is written past the end first; moving the end (journaled) publishes it.
    data[end] = bytes.length;
    this.bytes.set(bytes, (end + 1) * 4);
    data[end + 1 + words] = bytes.length;
    region.setField(END, end + words + 2);
    region.setField(SIZE, region.field(SIZE) + 1);
    region.setField(UNFINISHED, region.field(UNFINISHED) + 1);
    this.itemAdded();
  }

  /** Moves the records to the front, or grows the buffer, until `words` more fit after the end; the new end. */
  private makeRoom(words: number): number {
    const region = this.core.region;
    const start = region.field(START);
    const end = region.field(END);
    const used = end - start;
    if (used + words > this.data.length) {
      let size = this.dataBuffer.byteLength;
      while (used + words > size / 4) size *= 2;
      if (size > MAX_DATA_BYTES) throw new RuntimeError(`A ThreadSafeQueue on the shared backend holds at most ${MAX_DATA_BYTES / 1024 / 1024} MiB of encoded items: this put does not fit. Bound it with maxsize, or use backend "message".`);
      this.dataBuffer.grow(size);
      this.mapData();
    }
    if (start > 0) {
      this.data.copyWithin(0, start, end);
      region.setField(START, 0);
      region.setField(END, used);
    }
    return used;
  }

  /** Inside a section: the item a get takes (first or last), counted against this thread until it is marked done. */
  private take(): Uint8Array {
    const item = this.pop();
    const region = this.core.region;
    region.setField(SIZE, region.field(SIZE) - 1);
    region.addPerSlot(this.core.slot, 1);
    this.placeFreed();
    return item;
  }

  /** Removes the first (FIFO) or last (LIFO) record and returns a private copy of its bytes. */
  private pop(): Uint8Array {
    const region = this.core.region;
    const start = region.field(START);
    const end = region.field(END);
    const lifo = region.field(LIFO) !== 0;
    if (end > this.data.length) this.mapData(); // another thread grew the buffer
    const data = this.data;
    const length = lifo ? data[end - 1]! : data[start]!;
    const words = (length + 3) >>> 2;
    const first = lifo ? end - words - 2 : start;
    if (length < 0 || first < start || first + words + 2 > end) throw new RuntimeError("asyncio-ts: a ThreadSafeQueue's shared item buffer is corrupt");
    const item = this.bytes.slice((first + 1) * 4, (first + 1) * 4 + length);
    if (lifo) region.setField(END, first);
    else region.setField(START, first + words + 2);
    if (region.field(START) === region.field(END)) {
      region.setField(START, 0);
      region.setField(END, 0);
    }
    return item;
  }

  /** Makes this thread's views of the item buffer as long as it is now (any thread may have grown it). */
  private mapData(): void {
    const byteLength = this.dataBuffer.byteLength;
    this.data = new Int32Array(this.dataBuffer, 0, byteLength >>> 2);
    this.bytes = new Uint8Array(this.dataBuffer, 0, byteLength);
  }

  /** Inside a section: an item is there for the first waiting getter, who gets it reserved. */
  private itemAdded(): void {
    const slot = this.core.gates[GETTERS]!.grantFirst();
    if (slot === 0) return;
    const region = this.core.region;
    region.setField(RESERVED_ITEMS, region.field(RESERVED_ITEMS) + 1);
    this.core.wake(slot);
  }

  /** Inside a section: a place is free for the first waiting putter of a bounded queue. */
  private placeFreed(): void {
    const region = this.core.region;
    if (region.field(MAXSIZE) === 0) return;
    const slot = this.core.gates[PUTTERS]!.grantFirst();
    if (slot === 0) return;
    region.setField(RESERVED_PLACES, region.field(RESERVED_PLACES) + 1);
    this.core.wake(slot);
  }
}

/** What `join()` fails with once a thread died holding `count` items it never marked done (said alike on both backends). */
export function lostError(count: number, what: string): WorkerCrashedError {
  return new WorkerCrashedError(`A thread ended holding ${count} item(s) of ${what} it got but never marked done: join() cannot complete.`);
}

function shutDownError(): QueueShutDown {
  return new QueueShutDown("The queue is shut down: no more items can be put, and got once it is empty.");
}
