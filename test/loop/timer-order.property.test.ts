import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Coro, type TimerHandle, getRunningLoop, sleep } from "../../src/index.js";
import { runV } from "../support/harness.js";

/**
 * The loop's timer heap against the simplest model: timers fire in the order of
 * their due time, ties in the order they were scheduled, and a cancelled timer
 * never fires. Due times are drawn from a few values so that ties are common, and
 * up to 400 timers with many cancelled, so that the heap is compacted on the way.
 */
interface Timer {
  when: number;
  cancelled: boolean;
  /** A timer its callback schedules in turn, this long after it fires. */
  then: number | null;
}

const timer: fc.Arbitrary<Timer> = fc.record({
  when: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 12 }), fc.double({ min: 0, max: 12, noNaN: true }), fc.constant(Infinity)),
  cancelled: fc.integer({ min: 0, max: 2 }).map((n) => n > 0), // two in three: enough for the heap to compact
  then: fc.option(fc.integer({ min: 0, max: 3 })),
});

describe("timers against an ordered model", () => {
  it("fire by due time, ties in scheduling order, and a cancelled one never", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(timer, { maxLength: 500 }), async (timers) => {
        const fired = await runV(function* (): Coro<string[]> {
          const loop = getRunningLoop();
          const start = loop.time();
          const fired: string[] = [];
          const handles: TimerHandle[] = [];
          timers.forEach((t, i) => {
            handles.push(
              loop.callAt(start + t.when, () => {
                fired.push(`${i}`);
                if (t.then !== null) loop.callAt(loop.time() + t.then, () => fired.push(`${i}+`));
              }),
            );
          });
          timers.forEach((t, i) => t.cancelled && handles[i]!.cancel());
          yield* sleep(20);
          for (const handle of handles) handle.cancel(); // the infinite ones
          return fired;
        });
        // The model: every timer, and each follow-up at its own time, sorted by
        // (due time, order of scheduling); a follow-up is scheduled when its parent fires.
        const model: { name: string; when: number; order: number }[] = [];
        let order = 0;
        const live = timers.map((t, i) => ({ t, i })).filter(({ t }) => !t.cancelled && Number.isFinite(t.when));
        const queue = live.map(({ t, i }) => ({ name: `${i}`, when: t.when, order: order++, then: t.then }));
        while (queue.length > 0) {
          queue.sort((a, b) => a.when - b.when || a.order - b.order);
          const next = queue.shift()!;
          model.push(next);
          if (next.then !== null && next.then !== undefined) queue.push({ name: `${next.name}+`, when: next.when + next.then, order: order++, then: null });
        }
        expect(fired).toEqual(model.filter((m) => m.when <= 20).map((m) => m.name));
      }),
      { numRuns: 60 },
    );
  });
});
