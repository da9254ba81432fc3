import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteBuffer } from "../../src/streams/byte-buffer.js";

/**
 * The reader's chunk-queue buffer against the simplest model, one array of bytes:
 * random appends (of chunks it must not copy or alter), takes, discards and
 * separator searches must agree with the model at every step, across chunk
 * boundaries. Small byte values make separators match often.
 */
type Command =
  | { kind: "append"; bytes: number[] }
  | { kind: "take"; n: number }
  | { kind: "discard"; n: number }
  | { kind: "indexOf"; separator: number[]; offset: number }
  | { kind: "startsWith"; prefix: number[]; offset: number };

const byte = fc.integer({ min: 0, max: 3 });
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant("append" as const), bytes: fc.array(byte, { maxLength: 9 }) }),
  fc.record({ kind: fc.constant("take" as const), n: fc.nat(20) }),
  fc.record({ kind: fc.constant("discard" as const), n: fc.nat(6) }),
  fc.record({ kind: fc.constant("indexOf" as const), separator: fc.array(byte, { minLength: 1, maxLength: 3 }), offset: fc.nat(12) }),
  fc.record({ kind: fc.constant("startsWith" as const), prefix: fc.array(byte, { minLength: 1, maxLength: 3 }), offset: fc.nat(12) }),
);

function modelIndexOf(bytes: number[], separator: number[], offset: number): number {
  for (let i = offset; i + separator.length <= bytes.length; i++) {
    if (separator.every((value, j) => bytes[i + j] === value)) return i;
  }
  return -1;
}

describe("ByteBuffer against a byte-array model", () => {
  it("agrees on length, taken bytes and searches under random commands", () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        const buffer = new ByteBuffer();
        let model: number[] = [];
        const fed: Array<{ chunk: Uint8Array; copy: number[] }> = [];
        const views: Array<{ view: Uint8Array; expected: number[] }> = [];
        for (const c of commands) {
          switch (c.kind) {
            case "append": {
              const chunk = Uint8Array.from(c.bytes);
              fed.push({ chunk, copy: [...c.bytes] });
              buffer.append(chunk);
              model.push(...c.bytes);
              break;
            }
            case "take": {
              const taken = buffer.take(c.n);
              const expected = model.slice(0, c.n);
              model = model.slice(c.n);
              expect([...taken]).toEqual(expected);
              views.push({ view: taken, expected });
              break;
            }
            case "discard":
              buffer.discard(c.n);
              model = model.slice(c.n);
              break;
            case "indexOf":
              expect(buffer.indexOf(Uint8Array.from(c.separator), c.offset)).toBe(modelIndexOf(model, c.separator, c.offset));
              break;
            case "startsWith":
              expect(buffer.startsWith(Uint8Array.from(c.prefix), c.offset)).toBe(
                c.offset + c.prefix.length <= model.length && c.prefix.every((value, j) => model[c.offset + j] === value),
              );
              break;
          }
          expect(buffer.length).toBe(model.length);
        }
        // Nothing written into a fed chunk or into what an earlier take returned.
        for (const { chunk, copy } of fed) expect([...chunk]).toEqual(copy);
        for (const { view, expected } of views) expect([...view]).toEqual(expected);
        expect([...buffer.take(model.length)]).toEqual(model);
      }),
      { numRuns: 400 },
    );
  });
});
