import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../src/index.js";
import { type Message, PROTOCOL_TAG, decodeBatch, encodeBatch, isEnvelope, isForeignVersion } from "../../src/threads/protocol.js";

const every: Message[] = [
  { kind: "call", id: 1, name: "add", args: [1, { deep: [2] }, "three"] },
  { kind: "call", id: 2, name: "none", args: [] },
  { kind: "soon", name: "log", args: ["x"] },
  { kind: "cancel", id: 1, message: "stop" },
  { kind: "result", id: 1, value: undefined },
  { kind: "error", id: 2, error: { name: "Error", message: "boom", stack: "", fields: {} } as never },
  { kind: "cancelled", id: 3, message: "" },
  { kind: "ready", names: ["add", "log"] },
  { kind: "close" },
  { kind: "closed" },
  { kind: "tree?", id: 4, timeout: 500 },
  { kind: "tree", id: 4, tree: { thread: "w", tasks: [] } },
];

function decodeAll(envelope: unknown[]): { messages: Message[]; violation: ProtocolError | null } {
  const messages: Message[] = [];
  const violation = decodeBatch(envelope, (message) => messages.push(message));
  return { messages, violation };
}

describe("the wire protocol", () => {
  it("lays every kind of message out flat and reads it back in order, through a structured clone", () => {
    const envelope = structuredClone(encodeBatch(every));
    expect(isEnvelope(envelope)).toBe(true);
    expect(decodeAll(envelope)).toEqual({ messages: every, violation: null });
  });

  it("ignores what is not its envelope, and tells another version of itself apart", () => {
    expect(isEnvelope({ [PROTOCOL_TAG]: [] })).toBe(false);
    expect(isEnvelope(["asyncio-ts/1"])).toBe(false);
    expect(isForeignVersion(["asyncio-ts/1"])).toBe(true);
    expect(isForeignVersion(["someone-else", 1])).toBe(false);
  });

  // Each: an envelope from a broken or hostile peer, and what the violation names.
  const malformed: Array<[string, unknown[], RegExp]> = [
    ["an unknown kind", [PROTOCOL_TAG, 99], /unknown message kind.*same asyncio-ts version/],
    ["a negative argument count", [PROTOCOL_TAG, 1, 7, "add", -3], /argument count/],
    ["an argument count past the end", [PROTOCOL_TAG, 1, 7, "add", 1e9], /argument count/],
    ["a fractional argument count", [PROTOCOL_TAG, 3, "log", 0.5, "x"], /argument count/],
    ["a call id that is not a positive integer", [PROTOCOL_TAG, 1, -1, "add", 0], /call id/],
    ["a call name that is not a string", [PROTOCOL_TAG, 1, 4, { toString: 1 }, 0], /function name/],
    ["a result with no id", [PROTOCOL_TAG, 4], /call id/],
    ["a result with no value", [PROTOCOL_TAG, 4, 1], /value is missing/],
    ["an error whose cause is a number", [PROTOCOL_TAG, 5, 1, { name: "E", message: "m", stack: "", cause: 5 }], /serialized error/],
    ["an error whose name is not a string", [PROTOCOL_TAG, 5, 1, { name: 1, message: "m" }], /serialized error/],
    ["an error nested too deep", [PROTOCOL_TAG, 5, 1, nestedError(50)], /serialized error/],
    ["a cancel whose message is not a string", [PROTOCOL_TAG, 2, 1, null], /message is not a string/],
    ["ready names that are not strings", [PROTOCOL_TAG, 7, [1, 2]], /exposed names/],
    ["a tree request whose timeout is not a number", [PROTOCOL_TAG, 10, 1, "soon"], /timeout/],
    ["a tree request with a negative timeout", [PROTOCOL_TAG, 10, 1, -5], /timeout/],
    ["a tree with no id", [PROTOCOL_TAG, 11, 0.5, {}], /request id/],
    ["a tree that is missing", [PROTOCOL_TAG, 11, 3], /tree is missing/],
  ];
  for (const [what, envelope, reason] of malformed) {
    it(`stops at ${what} and returns a ProtocolError, never throwing`, () => {
      const { violation } = decodeAll(envelope);
      expect(violation).toBeInstanceOf(ProtocolError);
      expect(violation!.message).toMatch(reason);
    });
  }

  it("delivers the valid messages before a malformed one and nothing after it", () => {
    const { messages, violation } = decodeAll([PROTOCOL_TAG, 8, 99, 8]);
    expect(messages).toEqual([{ kind: "close" }]);
    expect(violation).toBeInstanceOf(ProtocolError);
  });

  it("never throws on random input, and delivers at most one message per slot", () => {
    const slot = fc.oneof(fc.integer({ min: -2, max: 12 }), fc.anything(), fc.constant(PROTOCOL_TAG));
    fc.assert(
      fc.property(fc.array(slot, { maxLength: 40 }), (slots) => {
        const envelope = [PROTOCOL_TAG, ...slots];
        let delivered = 0;
        const violation = decodeBatch(envelope, () => delivered++);
        expect(delivered).toBeLessThanOrEqual(slots.length);
        expect(violation === null || violation instanceof ProtocolError).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

function nestedError(depth: number): unknown {
  let error: unknown = { name: "Error", message: "root", stack: "" };
  for (let i = 0; i < depth; i++) error = { name: "Error", message: `level ${i}`, stack: "", cause: error };
  return error;
}
