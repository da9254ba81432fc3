/**
 * The shared memory of one thread-safe primitive on the shared backend: a
 * `SharedArrayBuffer` of 32-bit words that every thread holding the primitive maps.
 *
 * - An internal mutex word holds the slot of the thread inside a critical section
 *   (with a "contended" bit, Drepper's futex mutex). Critical sections are short and
 *   never wait for anything but that word.
 * - Every write inside a critical section goes through `set`, which first appends
 *   the word's old value to an undo journal (or through `compareExchangeField`, for
 *   a word that also changes outside the mutex); the section ends with one atomic
 *   store that empties the journal. A thread terminated inside a section therefore leaves
 *   either a finished update or a journal that rolls it back: the state stays
 *   consistent, and the survivor that learns of the death (the creating thread) can
 *   roll back and free the mutex (`recoverDeadHolder`).
 * - Each thread that holds the primitive claims a slot: a park word (other threads
 *   bump and notify it to wake it) and a per-slot count (what it holds: permits,
 *   items taken), read when it dies.
 * - Kind-specific fields, then the waiter rings of `Gate`s, follow.
 *
 * Shared memory is a grant of trust (a thread can write anything into it), but a
 * buffer that comes from another thread is still checked for its shape, and every
 * index read from it is bounded, so a corrupt one fails with a clear error rather
 * than a hang or an out-of-range access.
 */
import { RuntimeError, describeValue } from "../../errors.js";

/** How many threads can hold one primitive at once (slot 0 means "nobody"). */
export const MAX_SLOTS = 128;
/** Whether `slot` names a thread's slot (what another thread says is checked with it). */
export function isSlot(slot: number): boolean {
  return Number.isInteger(slot) && slot > 0 && slot < MAX_SLOTS;
}

/** Kind-specific words. */
export const FIELD_COUNT = 16;

const MAGIC = 0x61696f74; // "aiot"
const CONTENDED = 1 << 30;
const SLOT_MASK = CONTENDED - 1;
/** How many times a thread finding the mutex taken reads it again before it stops spinning. */
const SPINS = 200;

// A journal entry is two words, [index, old value]. A compareExchange inside a
// section (`compareExchangeField`) takes two: [index | CAS_ENTRY, old value], then
// [CAS_WRITTEN, the value written].
const CAS_ENTRY = 1 << 29;
const CAS_WRITTEN = -1;

// Header words.
const W_MAGIC = 0;
const W_GATES = 1;
const W_CAPACITY = 2;
const W_MUTEX = 3;
const W_JOURNAL_LENGTH = 4;
const HEADER = 8;
const SLOT_USED = HEADER;
const PARK = SLOT_USED + MAX_SLOTS;
const PER_SLOT = PARK + MAX_SLOTS;
/** Where the kind's fields start. */
export const FIELDS = PER_SLOT + MAX_SLOTS;
const GATES = FIELDS + FIELD_COUNT;
/** Words of one gate: head, tail, then `capacity` records of three words. */
export const GATE_HEADER = 2;
export const RECORD_WORDS = 3;

/** What `Atomics.waitAsync` gives (ES2024; typed here so that the package's types need no ES2024 lib). */
export type WaitAsyncResult = { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };

/** `Atomics.waitAsync`, where this context has it. */
export const waitAsync = (Atomics as unknown as { waitAsync?: (array: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult }).waitAsync;

/** Whether this thread may block in `Atomics.wait` (a browser's main thread may not). */
let blockingAllowed: boolean | undefined;
export function canBlock(): boolean {
  if (blockingAllowed === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blockingAllowed = true;
    } catch {
      blockingAllowed = false;
    }
  }
  return blockingAllowed;
}

function gateWords(capacity: number): number {
  return GATE_HEADER + capacity * RECORD_WORDS;
}

/** Journal entries needed by the largest section: every record of a gate woken at once, plus the fields. */
function journalWords(gates: number, capacity: number): number {
  return 2 * (gates * capacity * 2 + 4 * gates + FIELD_COUNT + 8);
}

/** The outcome of `lock` with a deadline: it was taken, or the deadline passed first. */
export type Locked = boolean;

export class SharedRegion {
  readonly words: Int32Array;
  readonly gateCount: number;
  readonly capacity: number;
  private readonly journal: number;
  private readonly journalEnd: number;
  /** This thread's slot (0 until `claimSlot`). */
  slot = 0;

  private constructor(readonly buffer: SharedArrayBuffer) {
    const words = new Int32Array(buffer);
    this.words = words;
    this.gateCount = words[W_GATES]!;
    this.capacity = words[W_CAPACITY]!;
    this.journal = GATES + this.gateCount * gateWords(this.capacity);
    this.journalEnd = this.journal + journalWords(this.gateCount, this.capacity);
  }

  /** A new region with `gates` waiter rings of `capacity` records each. */
  static create(gates: number, capacity: number): SharedRegion {
    const size = GATES + gates * gateWords(capacity);
    const buffer = new SharedArrayBuffer((size + journalWords(gates, capacity)) * 4);
    const words = new Int32Array(buffer);
    words[W_MAGIC] = MAGIC;
    words[W_GATES] = gates;
    words[W_CAPACITY] = capacity;
    return new SharedRegion(buffer);
  }

  /** The region in a buffer that came from another thread, checked for its shape. */
  static attach(buffer: unknown, gates: number, what: string): SharedRegion {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < GATES * 4) {
      throw new TypeError(`${what}: its shared state from another thread is ${describeValue(buffer)}, not the SharedArrayBuffer it was made with`);
    }
    const words = new Int32Array(buffer);
    const capacity = words[W_CAPACITY]!;
    const expected = (GATES + gates * gateWords(capacity) + journalWords(gates, capacity)) * 4;
    if (words[W_MAGIC] !== MAGIC || words[W_GATES] !== gates || capacity < 1 || buffer.byteLength !== expected) {
      throw new TypeError(`${what}: the shared state from another thread does not have the layout this version of asyncio-ts makes (is every thread running the same version?)`);
    }
    return new SharedRegion(buffer);
  }

  /** Where gate `index`'s words start. */
  gateBase(index: number): number {
    return GATES + index * gateWords(this.capacity);
  }

  /**
   * Claims a free slot, for this thread or for a thread this primitive is being sent
   * to (the sender claims it, so that the slot is known before that thread can die).
   * `RuntimeError` if every slot is taken.
   */
  claimFreeSlot(what: string): number {
    for (let slot = 1; slot < MAX_SLOTS; slot++) {
      if (Atomics.compareExchange(this.words, SLOT_USED + slot, 0, 1) === 0) return slot;
    }
    throw new RuntimeError(`${what} is held by ${MAX_SLOTS - 1} threads already, the most the shared backend serves: use backend "message" for more.`);
  }

  /** This thread takes `slot`, claimed for it by the thread that sent the primitive. */
  useSlot(slot: unknown, what: string): void {
    if (typeof slot !== "number" || !isSlot(slot) || Atomics.load(this.words, SLOT_USED + slot) !== 1) {
      throw new TypeError(`${what}: the slot sent with its shared state is ${describeValue(slot)}, not one claimed for this thread`);
    }
    this.slot = slot;
  }

  /** Frees a dead thread's slot once its holdings were cleaned up (under the mutex). */
  freeSlot(slot: number): void {
    this.set(PER_SLOT + slot, 0);
    Atomics.store(this.words, SLOT_USED + slot, 0);
  }

  /** What `slot` holds (permits, items taken but not done). */
  perSlot(slot: number): number {
    return this.words[PER_SLOT + slot]!;
  }

  /** Adds `delta` to what `slot` holds (under the mutex). */
  addPerSlot(slot: number, delta: number): void {
    if (isSlot(slot)) this.set(PER_SLOT + slot, this.words[PER_SLOT + slot]! + delta);
  }

  /**
   * One less held, counted against `slot`, or against another slot holding some if
   * it holds none (a task may release what a task of another thread acquired, as in
   * asyncio). Under the mutex.
   */
  countOneLess(slot: number): void {
    for (let other = slot, tried = 0; tried < MAX_SLOTS; other = (other + 1) % MAX_SLOTS, tried++) {
      if (other > 0 && this.words[PER_SLOT + other]! > 0) {
        this.set(PER_SLOT + other, this.words[PER_SLOT + other]! - 1);
        return;
      }
    }
  }

  /** Kind field `index`. */
  field(index: number): number {
    return this.words[FIELDS + index]!;
  }

  /** Kind field `index`, read outside the mutex (a snapshot, exact at that instant). */
  peek(index: number): number {
    return Atomics.load(this.words, FIELDS + index);
  }

  setField(index: number, value: number): void {
    this.set(FIELDS + index, value);
  }

  /** Where kind field `index` is in `words` (for atomics on it outside the mutex). */
  fieldWord(index: number): number {
    return FIELDS + index;
  }

  /**
   * A journaled `Atomics.compareExchange` of kind field `index` (inside a critical
   * section), for a word that threads also change outside the mutex, with
   * compareExchanges of their own: whether it was `expected` and now is `value`.
   * A rollback restores it only if it still holds `value`: a change another thread
   * made after it is kept, so the kind must make every such change leave its state
   * consistent without the section (see `SharedLock`).
   */
  compareExchangeField(index: number, expected: number, value: number): boolean {
    const words = this.words;
    const word = FIELDS + index;
    if (expected === value) return Atomics.load(words, word) === expected;
    const length = words[W_JOURNAL_LENGTH]!;
    const at = this.journal + length;
    if (at + 4 > this.journalEnd) throw new RuntimeError("asyncio-ts internal error: a shared critical section outgrew its journal");
    words[at] = word | CAS_ENTRY;
    words[at + 1] = expected;
    words[at + 2] = CAS_WRITTEN;
    words[at + 3] = value;
    words[W_JOURNAL_LENGTH] = length + 4;
    if (Atomics.compareExchange(words, word, expected, value) === expected) return true;
    words[W_JOURNAL_LENGTH] = length; // nothing changed: nothing to undo
    return false;
  }

  /** A journaled write (inside a critical section). */
  set(index: number, value: number): void {
    const words = this.words;
    if (words[index] === value) return; // nothing to change, nothing to undo
    const length = words[W_JOURNAL_LENGTH]!;
    const at = this.journal + length;
    if (at + 2 > this.journalEnd) throw new RuntimeError("asyncio-ts internal error: a shared critical section outgrew its journal");
    // Plain writes, in this order: the old value is saved before the word changes.
    // Only a thread that learnt of this one's death (through a message, which
    // synchronizes) ever reads the journal, and a thread stops only at a safepoint,
    // so it sees a prefix of these writes in program order; no fence is needed.
    words[at] = index;
    words[at + 1] = words[index]!;
    words[W_JOURNAL_LENGTH] = length + 2;
    words[index] = value;
  }

  /**
   * Takes the internal mutex if it is free now or within a short spin: a section
   * lasts a microsecond or so, so a thread finding it taken mostly finds it free a
   * moment later. Never sleeps (a browser's main thread may not).
   */
  tryLock(): boolean {
    const words = this.words;
    const me = this.slot;
    if (Atomics.compareExchange(words, W_MUTEX, 0, me) === 0) return true;
    for (let spin = 0; spin < SPINS; spin++) {
      if (Atomics.load(words, W_MUTEX) === 0 && Atomics.compareExchange(words, W_MUTEX, 0, me) === 0) return true;
    }
    return false;
  }

  /**
   * Takes the internal mutex. Spins briefly, then (where this thread may block)
   * sleeps on the word. Gives up after `budgetMs` and returns false: the holder may
   * have died inside its section, which only the creating thread's loop can learn,
   * so no thread may wait for it forever.
   */
  lock(budgetMs: number): Locked {
    if (this.tryLock()) return true; // free, or freed while spinning: no clock read
    const words = this.words;
    const me = this.slot;
    const deadline = performance.now() + budgetMs;
    let state = Atomics.load(words, W_MUTEX);
    const block = canBlock();
    for (;;) {
      // Mark it contended, so that its holder wakes a sleeper when it unlocks.
      if (state !== 0 && (state & CONTENDED) === 0) Atomics.compareExchange(words, W_MUTEX, state, state | CONTENDED);
      state = Atomics.compareExchange(words, W_MUTEX, 0, me | CONTENDED);
      if (state === 0) return true;
      if (performance.now() >= deadline) return false;
      if (block) Atomics.wait(words, W_MUTEX, state | CONTENDED, 1);
    }
  }

  /** The slot of the thread inside a critical section now (0: none). */
  holder(): number {
    return Atomics.load(this.words, W_MUTEX) & SLOT_MASK;
  }

  /** Ends a critical section: the journal empties (one store: the update is done), then the mutex is freed. */
  unlock(): void {
    this.words[W_JOURNAL_LENGTH] = 0; // published by the exchange below, which is a full fence
    if ((Atomics.exchange(this.words, W_MUTEX, 0) & CONTENDED) !== 0) Atomics.notify(this.words, W_MUTEX, 1);
  }

  /**
   * After `slot`'s thread died: if it was inside a critical section, undoes what
   * that section had written and frees the mutex. Returns whether it had to.
   */
  recoverDeadHolder(slot: number): boolean {
    if ((Atomics.load(this.words, W_MUTEX) & SLOT_MASK) !== slot) return false;
    this.rollBack();
    Atomics.store(this.words, W_MUTEX, 0);
    Atomics.notify(this.words, W_MUTEX);
    return true;
  }

  /** Ends a critical section that failed: what it wrote is undone, then the mutex is freed. */
  abandon(): void {
    this.rollBack();
    this.unlock();
  }

  private rollBack(): void {
    const words = this.words;
    const length = Math.min(Math.max(words[W_JOURNAL_LENGTH]!, 0), this.journalEnd - this.journal) & ~1;
    for (let at = this.journal + length - 2; at >= this.journal; at -= 2) {
      const index = words[at]!;
      if (index >= 0 && index < this.journal) words[index] = words[at + 1]!;
      else if (index === CAS_WRITTEN && at - 2 >= this.journal) {
        at -= 2;
        const word = words[at]! & ~CAS_ENTRY;
        if ((words[at]! & CAS_ENTRY) !== 0 && word >= 0 && word < this.journal) Atomics.compareExchange(words, word, words[at + 3]!, words[at + 1]!);
      }
    }
    Atomics.store(words, W_JOURNAL_LENGTH, 0);
  }

  /** The value of `slot`'s park word, read before checking whether to sleep on it. */
  parkValue(slot: number): number {
    return Atomics.load(this.words, PARK + slot);
  }

  /** Index of `slot`'s park word (for `Atomics.wait`/`waitAsync`). */
  parkIndex(slot: number): number {
    return PARK + slot;
  }

  /** Wakes `slot`'s thread: it re-checks its waiters. */
  poke(slot: number): void {
    if (!isSlot(slot)) return;
    Atomics.add(this.words, PARK + slot, 1);
    Atomics.notify(this.words, PARK + slot);
  }
}
