import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Barrier, BoundedSemaphore, Condition, type Coro, Event, Lock, Semaphore, sleep } from "../../src/index.js";
import { runV } from "../support/harness.js";
import { ProgramLog } from "../support/program-log.js";
import { ReferenceBarrier, ReferenceBoundedSemaphore, ReferenceCondition, ReferenceEvent, ReferenceLock, ReferenceSemaphore } from "./reference-sync.js";

/**
 * Lock, Semaphore, BoundedSemaphore, Event, Condition and Barrier against
 * line-for-line ports of CPython 3.13's (reference-sync.ts), on the same loop: the
 * same random program of waits, releases (sets, clears, notifies, resets, aborts),
 * cancellations of live tasks and loop steps, run
 * once on each, must log the same events in the same order — which task got in
 * when, how each wait ended, what each call threw, the state after each step. The
 * waits were rewritten for speed (no generator per wait); this checks that every
 * rule is still asyncio's: FIFO hand-over, no barging, a woken waiter cancelled
 * before it ran passes its wake on.
 */
type Command = { kind: "wait" } | { kind: "signal" } | { kind: "clear" } | { kind: "cancel"; index: number } | { kind: "step"; ms: number };

const program: fc.Arbitrary<Command[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("wait" as const) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("signal" as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("cancel" as const), index: fc.nat() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("step" as const), ms: fc.constantFrom(0, 0, 1) }) },
  ),
  { maxLength: 40, size: "max" },
);

/** One primitive as the program drives it: a wait, its signal (release, set, notify), and what state to log. */
interface Subject {
  wait(): Coro<unknown>;
  signal(): void | Coro<void>;
  clear?(): void | Coro<void>;
  state(): string;
}

function runProgram(make: () => Subject, commands: readonly Command[]): Promise<string[]> {
  return runV(function* (): Coro<string[]> {
    const subject = make();
    const log = new ProgramLog();
    for (const c of commands) {
      switch (c.kind) {
        case "wait":
          log.spawn("wait", () => subject.wait());
          break;
        case "signal": {
          let signalled: unknown;
          log.call("signal", () => (signalled = subject.signal()));
          if (signalled !== undefined) yield* signalled as Coro<void>; // a notify takes the lock first
          break;
        }
        case "clear": {
          let cleared: unknown;
          if (subject.clear) log.call("clear", () => (cleared = subject.clear!()));
          if (cleared !== undefined) yield* cleared as Coro<void>;
          break;
        }
        case "cancel":
          log.cancelLive(c.index);
          break;
        case "step":
          yield* sleep(c.ms);
          break;
      }
      log.events.push(subject.state());
    }
    yield* log.settle();
    log.events.push(`end ${subject.state()}`);
    return log.events;
  });
}

interface LockLike {
  acquire(): Coro<boolean>;
  release(): void;
  locked(): boolean;
}
const asLock = (lock: LockLike): Subject => ({ wait: () => lock.acquire(), signal: () => lock.release(), state: () => `locked ${lock.locked()}` });

interface EventLike {
  wait(): Coro<boolean>;
  set(): void;
  clear(): void;
  isSet(): boolean;
}
const asEvent = (event: EventLike): Subject => ({ wait: () => event.wait(), signal: () => event.set(), clear: () => event.clear(), state: () => `set ${event.isSet()}` });

interface ConditionLike {
  acquire(): Coro<boolean>;
  release(): void;
  locked(): boolean;
  wait(): Coro<boolean>;
  notify(n?: number): void;
  notifyAll(): void;
}
/**
 * A wait holds the lock around the condition's wait; a signal (odd values notify
 * one or two, even ones all) takes the lock, notifies and lets go, logging what it
 * did; `clear` notifies without the lock, which must fail alike.
 */
const asCondition = (condition: ConditionLike, value: number): Subject => ({
  *wait() {
    yield* condition.acquire();
    try {
      return yield* condition.wait();
    } finally {
      condition.release();
    }
  },
  signal: () =>
    (function* (): Coro<void> {
      yield* condition.acquire();
      try {
        if (value % 2 === 0) condition.notifyAll();
        else condition.notify(value);
      } finally {
        condition.release();
      }
    })(),
  clear: () => condition.notify(),
  state: () => `locked ${condition.locked()}`,
});

interface BarrierLike {
  wait(): Coro<number>;
  reset(): Coro<void>;
  abort(): Coro<void>;
  readonly nWaiting: number;
  readonly broken: boolean;
}
/** A wait is the barrier's; the signal resets it and `clear` aborts it (both wait for its condition's lock). */
const asBarrier = (barrier: BarrierLike): Subject => ({
  wait: () => barrier.wait(),
  signal: () => barrier.reset(),
  clear: () => barrier.abort(),
  state: () => `waiting ${barrier.nWaiting} broken ${barrier.broken}`,
});

const cases: [string, (value: number) => Subject, (value: number) => Subject][] = [
  ["Lock", () => asLock(new Lock() as unknown as LockLike), () => asLock(new ReferenceLock())],
  ["Semaphore", (value) => asLock(new Semaphore(value) as unknown as LockLike), (value) => asLock(new ReferenceSemaphore(value))],
  ["BoundedSemaphore", (value) => asLock(new BoundedSemaphore(value) as unknown as LockLike), (value) => asLock(new ReferenceBoundedSemaphore(value))],
  ["Event", () => asEvent(new Event() as unknown as EventLike), () => asEvent(new ReferenceEvent())],
  ["Condition", (value) => asCondition(new Condition() as unknown as ConditionLike, value), (value) => asCondition(new ReferenceCondition(), value)],
  ["Barrier", (value) => asBarrier(new Barrier(value + 1) as unknown as BarrierLike), (value) => asBarrier(new ReferenceBarrier(value + 1))],
];

describe.each(cases)("%s against CPython's", (_name, ours, reference) => {
  it("logs the same events as the reference under random programs", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), program, async (value, commands) => {
        expect(await runProgram(() => ours(value), commands)).toEqual(await runProgram(() => reference(value), commands));
      }),
      { numRuns: 500 },
    );
  });
});
