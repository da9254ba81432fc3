// The shared lock's one word, with several slots on this thread standing for
// threads: the one-compareExchange path, the hand-over once some wait, its way back,
// and a holder that dies inside its release section. (Not run on a page without
// cross-origin isolation: it has no shared memory; see vitest.config.ts.)
import { describe, expect, it } from "vitest";
import { type Coro, LockOwnerDiedError, RuntimeError, createTask, gather, sleep } from "../../src/index.js";
import { SharedLock } from "../../src/threadsafe/shared/lock-word.js";
import { SharedRegion } from "../../src/threadsafe/shared/region.js";
import { caught, runV } from "../support/harness.js";

const QUEUED = 256;
const POISONED = 512;

/** A lock and `others` more handles on it, each with a slot of its own (as another thread's would be). */
function lockWithSlots(others: number): SharedLock[] {
  const first = SharedLock.create("a test lock");
  return [first, ...Array.from({ length: others }, () => SharedLock.attach(first.buffer, first.core.claimSlotForAnotherThread(), "a test lock"))];
}

function word(lock: SharedLock): number {
  return Atomics.load(lock.core.region.words, lock.core.region.fieldWord(0));
}

describe("the shared lock's word", () => {
  it("is taken and freed with no critical section while nobody waits: both work while another thread sits in one", async () => {
    await runV(function* () {
      const [a, other] = lockWithSlots(1);
      other!.core.region.lock(Infinity); // another thread inside a section, for as long as it likes
      yield* a!.acquire();
      expect(word(a!)).toBe(a!.core.slot);
      expect(a!.locked()).toBe(true);
      a!.release();
      expect(word(a!)).toBe(0);
      expect(a!.locked()).toBe(false);
      other!.core.region.unlock();
      expect(() => a!.release()).toThrow(RuntimeError); // not held: the section says so
    });
  });

  it("hands over in the order the waiters came once some wait (no barging by the holder's thread), then goes back to the fast path", async () => {
    await runV(function* () {
      const [a, b, c] = lockWithSlots(2);
      const order: string[] = [];
      function* take(lock: SharedLock, tag: string): Coro<void> {
        yield* lock.acquire();
        order.push(tag);
        yield* sleep(0);
        lock.release();
      }
      yield* a!.acquire();
      const waiting = [createTask(take(b!, "b")), createTask(take(c!, "c"))];
      yield* sleep(0);
      expect(word(a!)).toBe(a!.core.slot | QUEUED); // its release must come through the section
      waiting.push(createTask(take(a!, "a again")));
      yield* sleep(0);
      a!.release();
      expect(word(a!)).toBe(b!.core.slot | QUEUED); // b's, before b has even run
      yield* gather(...waiting);
      expect(order).toEqual(["b", "c", "a again"]);
      expect(word(a!)).toBe(0);
      yield* c!.acquire();
      expect(word(a!)).toBe(c!.core.slot); // no QUEUED left behind: the next release is one compareExchange
      c!.release();
    });
  });

  it("clears QUEUED when the last waiter gave up, at the next release", async () => {
    await runV(function* () {
      const [a, b] = lockWithSlots(1);
      yield* a!.acquire();
      const waiter = createTask(b!.acquire());
      yield* sleep(0);
      waiter.cancel();
      yield* sleep(0);
      expect(word(a!)).toBe(a!.core.slot | QUEUED);
      a!.release();
      expect(word(a!)).toBe(0);
      expect(waiter.cancelled()).toBe(true);
    });
  });

  it("stays consistent when a holder dies inside its release section: the hand-over is undone, then the lock is poisoned", async () => {
    await runV(function* () {
      const [a, dying] = lockWithSlots(1);
      const deadSlot = dying!.core.slot;
      yield* dying!.acquire();
      const waiter = createTask(a!.acquire());
      yield* sleep(0);
      // The release section of `dying`, cut short after it handed the lock to a's waiter:
      const region = dying!.core.region;
      region.lock(Infinity);
      dying!.core.gates[0]!.grantFirst();
      expect(region.compareExchangeField(0, deadSlot | QUEUED, a!.core.slot | QUEUED)).toBe(true);
      // ... and its thread is terminated here. The creating thread learns of it:
      expect(a!.core.region.recoverDeadHolder(deadSlot)).toBe(true);
      expect(word(a!)).toBe(deadSlot | QUEUED); // still the dead thread's: the grant was undone with it
      a!.threadDied(deadSlot, true);
      expect(yield* caught(waiter)).toBeInstanceOf(LockOwnerDiedError);
      expect(word(a!)).toBe(deadSlot | QUEUED | POISONED);
      expect(yield* caught(a!.acquire())).toBeInstanceOf(LockOwnerDiedError);
      a!.recover();
      expect(word(a!)).toBe(0);
      yield* a!.acquire();
      a!.release();
    });
  });

  it("is released, not poisoned, for onOwnerDeath 'release', and the first waiter gets it", async () => {
    await runV(function* () {
      const [a, dying] = lockWithSlots(1);
      yield* dying!.acquire();
      const waiter = createTask(a!.acquire());
      yield* sleep(0);
      a!.threadDied(dying!.core.slot, false);
      expect(yield* waiter).toBe(true);
      expect(word(a!)).toBe(a!.core.slot);
      a!.release();
    });
  });
});

describe("a journaled compareExchange", () => {
  function regionWithDyingHolder(): { region: SharedRegion; dying: SharedRegion } {
    const region = SharedRegion.create(1, 4);
    region.useSlot(region.claimFreeSlot("test"), "test");
    const dying = SharedRegion.attach(region.buffer, 1, "test");
    dying.useSlot(region.claimFreeSlot("test"), "test");
    return { region, dying };
  }

  it("is undone with the dead section when the word still holds what it wrote", () => {
    const { region, dying } = regionWithDyingHolder();
    dying.lock(Infinity);
    dying.setField(1, 5);
    expect(dying.compareExchangeField(2, 0, 7)).toBe(true);
    expect(dying.compareExchangeField(3, 1, 2)).toBe(false); // it was not 1: nothing written, nothing to undo
    expect(region.recoverDeadHolder(dying.slot)).toBe(true);
    expect([region.field(1), region.field(2), region.field(3)]).toEqual([0, 0, 0]);
  });

  it("is kept when another thread changed the word since, outside the mutex", () => {
    const { region, dying } = regionWithDyingHolder();
    const at = region.fieldWord(2);
    Atomics.store(region.words, at, 9);
    dying.lock(Infinity);
    dying.setField(1, 5);
    expect(dying.compareExchangeField(2, 9, 0)).toBe(true);
    expect(Atomics.compareExchange(region.words, at, 0, 4)).toBe(0); // another thread's own compareExchange
    expect(region.recoverDeadHolder(dying.slot)).toBe(true);
    expect([region.field(1), region.field(2)]).toEqual([0, 4]);
  });
});
