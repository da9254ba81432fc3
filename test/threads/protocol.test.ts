import { describe, expect, it } from "vitest";
import { type Message, PROTOCOL_TAG, decodeBatch, encodeBatch, isEnvelope } from "../../src/threads/protocol.js";

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
];

function decodeAll(envelope: unknown[]): Message[] {
  const messages: Message[] = [];
  decodeBatch(envelope, (message) => messages.push(message));
  return messages;
}

describe("the wire protocol", () => {
  it("lays every kind of message out flat and reads it back in order, through a structured clone", () => {
    const envelope = structuredClone(encodeBatch(every));
    expect(isEnvelope(envelope)).toBe(true);
    expect(decodeAll(envelope)).toEqual(every);
  });

  it("ignores what is not its envelope and names a version mismatch", () => {
    expect(isEnvelope({ [PROTOCOL_TAG]: [] })).toBe(false);
    expect(isEnvelope(["asyncio-ts/1"])).toBe(false);
    expect(() => decodeAll([PROTOCOL_TAG, 99])).toThrow(/unknown message kind 99.*same asyncio-ts version/);
  });
});
