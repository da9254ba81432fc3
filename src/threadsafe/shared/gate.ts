/**
 * A FIFO ring of waiter records in a `SharedRegion`, one per waiting task on any
 * thread: `[state, slot, value]`. Everything here runs inside the region's
 * critical section, so a grant and a cancel cannot both win: a grant turns the first
 * WAITING record GRANTED (and the caller pokes its thread); a cancel turns a WAITING
 * record CANCELLED, and if it finds it GRANTED instead, the grant was made and the
 * canceller must pass it on. A record stays put until its waiter has taken its
 * outcome, so the ring never overwrites an answer nobody has read.
 */
import { GATE_HEADER, RECORD_WORDS, type SharedRegion, isSlot } from "./region.js";

export const FREE = 0;
export const WAITING = 1;
export const GRANTED = 2;
export const CANCELLED = 3;
/** The wait failed; `value` says why (the kind's own code). */
export const FAILED = 4;

export class Gate {
  private readonly head: number;
  private readonly tail: number;
  private readonly records: number;
  private readonly capacity: number;

  constructor(
    private readonly region: SharedRegion,
    index: number,
  ) {
    const base = region.gateBase(index);
    this.head = base;
    this.tail = base + 1;
    this.records = base + GATE_HEADER;
    this.capacity = region.capacity;
  }

  private at(position: number): number {
    return this.records + ((position >>> 0) % this.capacity) * RECORD_WORDS;
  }

  /** Advances the head past records nobody waits on any more; the head is then WAITING or the ring is empty. */
  private firstWaiting(): number {
    const words = this.region.words;
    let head = words[this.head]!;
    const tail = words[this.tail]!;
    // Bounded by the capacity, so that a corrupt ring cannot spin this thread.
    for (let seen = 0; head !== tail && seen < this.capacity; seen++) {
      if (words[this.at(head)]! === WAITING) break;
      head = (head + 1) | 0;
    }
    if (head !== words[this.head]) this.region.set(this.head, head);
    return head;
  }

  /** Whether some task waits here. */
  hasWaiting(): boolean {
    return this.firstWaiting() !== this.region.words[this.tail];
  }

  /** Queues a waiter of `slot`; its position, or -1 when the ring is full. */
  enqueue(slot: number, value = 0): number {
    const words = this.region.words;
    const head = this.firstWaiting();
    const tail = words[this.tail]!;
    const at = this.at(tail);
    const state = words[at]!;
    if (((tail - head) | 0) >= this.capacity || state === WAITING || state === GRANTED || state === FAILED) return -1;
    this.region.set(at, WAITING);
    this.region.set(at + 1, slot);
    this.region.set(at + 2, value);
    this.region.set(this.tail, (tail + 1) | 0);
    return tail;
  }

  /** Grants the first waiter with `value`; the slot to poke, or 0 if nobody waits. */
  grantFirst(value = 0): number {
    const head = this.firstWaiting();
    if (head === this.region.words[this.tail]) return 0;
    return this.settle(head, GRANTED, value);
  }

  /**
   * Ends every wait with `state` (GRANTED or FAILED) and `value` (`undefined`: each
   * keeps the value it was queued with); calls `poke` with each waiter's slot.
   */
  settleAll(state: number, value: number | undefined, poke: (slot: number) => void): void {
    for (let head = this.firstWaiting(); head !== this.region.words[this.tail]; head = this.firstWaiting()) poke(this.settle(head, state, value));
  }

  private settle(position: number, state: number, value: number | undefined): number {
    const at = this.at(position);
    const slot = this.region.words[at + 1]!;
    this.region.set(at, state);
    if (value !== undefined) this.region.set(at + 2, value);
    this.region.set(this.head, (position + 1) | 0);
    return isSlot(slot) ? slot : 0;
  }

  /** The state of the record at `position` (outside the mutex: a hint to re-check under it). */
  stateAt(position: number): number {
    return Atomics.load(this.region.words, this.at(position));
  }

  /** The value the record at `position` was settled with. */
  valueAt(position: number): number {
    return this.region.words[this.at(position) + 2]!;
  }

  /**
   * The waiter at `position` collects its outcome: WAITING (not yet), or GRANTED or
   * FAILED, after which the record is free for reuse.
   */
  collect(position: number): number {
    const at = this.at(position);
    const state = this.region.words[at]!;
    if (state === GRANTED || state === FAILED) this.region.set(at, FREE);
    return state;
  }

  /** The waiter at `position` gives up: CANCELLED if it was still waiting; otherwise what it was settled with (pass it on). */
  cancel(position: number): number {
    const at = this.at(position);
    const state = this.region.words[at]!;
    if (state === WAITING) this.region.set(at, CANCELLED);
    else if (state === GRANTED || state === FAILED) this.region.set(at, FREE);
    return state;
  }

  /** A dead thread's records: each one still waiting is cancelled; `passOn` gets the value of each grant it never took. */
  forgetSlot(slot: number, passOn: (value: number) => void): void {
    const words = this.region.words;
    for (let i = 0; i < this.capacity; i++) {
      const at = this.records + i * RECORD_WORDS;
      if (words[at + 1] !== slot) continue;
      const state = words[at]!;
      if (state === WAITING) this.region.set(at, CANCELLED);
      else if (state === GRANTED) {
        this.region.set(at, FREE);
        passOn(words[at + 2]!);
      } else if (state === FAILED) this.region.set(at, FREE);
    }
  }
}
