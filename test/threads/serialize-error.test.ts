import { describe, expect, it } from "vitest";
import { ExceptionGroup, TimeoutError, ValueError } from "../../src/index.js";
import { type SerializedError, deserializeError, isSerializedError, serializeError } from "../../src/threads/serialize-error.js";

/** What arrives from the other thread: the data after a structured clone. */
function acrossThreads(error: unknown): Error {
  return deserializeError(structuredClone(serializeError(error)));
}

describe("errors crossing a thread", () => {
  it("come back as their own class with message, stack, cause and fields", () => {
    const original = Object.assign(new ValueError("bad", { cause: new TimeoutError("slow") }), { code: 7 });
    const copy = acrossThreads(original);
    expect(copy).toBeInstanceOf(ValueError);
    expect(copy.message).toBe("bad");
    expect(copy.stack).toBe(original.stack);
    expect((copy as { code?: number }).code).toBe(7);
    expect(copy.cause).toBeInstanceOf(TimeoutError);
  });

  it("are always an Error, whatever name the other side gives (Object.prototype's names included)", () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "Nope"]) {
      const copy = deserializeError({ name, message: "m", stack: undefined });
      expect(Object.getPrototypeOf(copy)).toBe(Error.prototype);
      expect(copy.name).toBe(name);
    }
  });

  it("never let a field change the rebuilt error's prototype, name or message", () => {
    const forged = JSON.parse('{"name":"Error","message":"m","fields":{"__proto__":{"polluted":true},"message":"x","constructor":1,"code":3}}') as SerializedError;
    const copy = deserializeError(structuredClone(forged));
    expect(Object.getPrototypeOf(copy)).toBe(Error.prototype);
    expect((copy as unknown as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(copy.message).toBe("m");
    expect((copy as { code?: number }).code).toBe(3);
  });

  it("survive an error whose getters throw: that property is lost, not the reply", () => {
    const hostile = new Error("base");
    Object.defineProperty(hostile, "detail", { enumerable: true, get: () => { throw new Error("getter"); } });
    Object.defineProperty(hostile, "message", { get: () => { throw new Error("message getter"); } });
    const data = serializeError(hostile);
    expect(isSerializedError(structuredClone(data))).toBe(true);
    expect(data.fields?.detail).toBeUndefined();
  });

  it("keep group members and a non-Error cause", () => {
    const group = acrossThreads(new ExceptionGroup("two", [new ValueError("a"), new TypeError("b")]));
    expect(group).toBeInstanceOf(ExceptionGroup);
    expect((group as ExceptionGroup).exceptions.map((e) => (e as Error).name)).toEqual(["ValueError", "TypeError"]);
    expect(acrossThreads(new Error("x", { cause: 42 })).cause).toBe(42);
  });

  it("are checked for shape before they are rebuilt: the decoder's test of an error payload", () => {
    expect(isSerializedError({ name: "E", message: "m", stack: "" })).toBe(true);
    expect(isSerializedError({ name: "E", message: "m", cause: { value: 5 } })).toBe(true);
    expect(isSerializedError({ name: "E", message: "m", cause: 5 })).toBe(false);
    expect(isSerializedError({ name: "E", message: "m", errors: [1] })).toBe(false);
    expect(isSerializedError({ name: "E", message: "m", fields: [] })).toBe(false);
    expect(isSerializedError({ name: "E", message: 1 })).toBe(false);
    expect(isSerializedError(null)).toBe(false);
  });
});
