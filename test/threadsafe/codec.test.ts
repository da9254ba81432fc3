import { describe, expect, it } from "vitest";
import { DataCloneError } from "../../src/index.js";
import { codecNamed } from "../../src/threadsafe/codec.js";

describe("the json codec, reading items from another thread", () => {
  const json = codecNamed("json");

  it("reads back what it wrote, on the wire and as bytes", () => {
    const item = { id: 1, tags: ["a"], nested: { ok: true } };
    expect(json.fromWire(json.toWire(item))).toEqual(item);
    expect(json.fromBytes(json.toBytes(item).slice())).toEqual(item);
  });

  it("fails an item that is not JSON with DataCloneError, not the parser's SyntaxError", () => {
    const forged = ["{not json", "", "[1,", '"unterminated'];
    for (const text of forged) {
      expect(() => json.fromWire(text)).toThrow(DataCloneError);
      expect(() => json.fromBytes(new TextEncoder().encode(text))).toThrow(/json-coded item from another thread is not JSON/);
    }
    expect(() => json.fromBytes(new Uint8Array([0xff, 0xfe, 0x7b]))).toThrow(DataCloneError); // not even UTF-8
    expect(() => json.fromWire(42)).toThrow(DataCloneError);
  });
});
