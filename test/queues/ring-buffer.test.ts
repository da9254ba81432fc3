import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RingBuffer } from "../../src/queues/ring-buffer.js";

/** What a ring buffer must behave as: an array. */
type Op = { kind: "push"; value: number } | { kind: "unshift"; value: number } | { kind: "shift" } | { kind: "burst"; count: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("push" as const), value: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("unshift" as const), value: fc.integer() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("shift" as const) }) },
  // Enough pushes at once to cross the room it keeps when drained (1024 slots).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("burst" as const), count: fc.integer({ min: 1, max: 1500 }) }) },
);

/** Every item, front to back, by taking them all (and putting them back). */
function contents(ring: RingBuffer<number>): number[] {
  const items: number[] = [];
  while (ring.size > 0) items.push(ring.shift());
  for (const item of items) ring.push(item);
  return items;
}

describe("RingBuffer", () => {
  it("keeps the order of an array under random pushes, unshifts, shifts and bursts, across growth and shrinking", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.array(op, { maxLength: 80 }), (capacity, ops) => {
        const ring = new RingBuffer<number>(capacity);
        const model: number[] = [];
        let next = 0;
        for (const o of ops) {
          if (o.kind === "push") (ring.push(o.value), model.push(o.value));
          else if (o.kind === "unshift") (ring.unshift(o.value), model.unshift(o.value));
          else if (o.kind === "burst") for (let i = 0; i < o.count; i++) (ring.push(next), model.push(next++));
          else if (model.length > 0) expect(ring.shift()).toBe(model.shift());
          expect(ring.size).toBe(model.length);
        }
        expect(contents(ring)).toEqual(model);
      }),
    );
  });

  it("lets a burst's room go once drained, and holds no item it gave out", () => {
    const ring = new RingBuffer<object>();
    const slots = (): unknown[] => (ring as unknown as { slots: unknown[] }).slots;
    for (let i = 0; i < 5000; i++) ring.push({ i });
    expect(slots().length).toBe(8192);
    for (let i = 0; i < 4999; i++) ring.shift();
    expect(slots().length).toBe(8192); // not drained yet: no copying while items remain
    ring.shift();
    expect(slots().length).toBe(8);
    ring.push({ last: true });
    ring.shift();
    expect(slots().every((slot) => slot === undefined)).toBe(true);
  });
});
