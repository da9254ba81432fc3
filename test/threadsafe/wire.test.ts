// A thread-safe primitive's wire form comes from another thread: a malformed or
// forged one is refused with a DataCloneError that says what was wrong, and a port
// in it is told that the hold it stands for is not needed.
import { describe, expect, it } from "vitest";
import { type Coro, DataCloneError, ThreadSafeQueue, run, sleep } from "../../src/index.js";
import { deserializeHandledValue } from "../../src/threads/transfer-handlers.js";
import { runV } from "../support/harness.js";

const arrived = (data: unknown): unknown => ({ "asyncio-ts/handled": "asyncio-ts/threadsafe", data });

describe("a thread-safe primitive's wire form from another thread", () => {
  it("is refused when malformed or of a kind this thread does not know, whatever its port", async () => {
    void ThreadSafeQueue; // the kinds this thread knows are registered by their classes
    await runV(function* () {
      for (const data of [null, 7, { kind: 3, fields: {} }, { kind: "Queue", fields: null, port: null }]) {
        expect(() => deserializeHandledValue(arrived(data))).toThrow(DataCloneError);
        expect(() => deserializeHandledValue(arrived(data))).toThrow(/not a thread-safe primitive's wire form/);
      }
      for (const port of [null, 5, { postMessage: "no" }]) {
        expect(() => deserializeHandledValue(arrived({ kind: "Nope", fields: {}, port }))).toThrow(/unknown thread-safe kind "Nope": import ThreadSafeNope in this thread's code/);
      }
    });
  });

  it("tells the owner over the port of one it cannot rebuild that the hold is not needed", async () => {
    await run((function* (): Coro<void> {
      const { port1, port2 } = new MessageChannel();
      const heard: unknown[] = [];
      port1.onmessage = (event) => heard.push(event.data);
      expect(() => deserializeHandledValue(arrived({ kind: "Nope", fields: {}, port: port2 }))).toThrow(/unknown thread-safe kind/);
      for (let waited = 0; heard.length === 0 && waited < 5000; waited += 5) yield* sleep(5);
      expect(JSON.stringify(heard)).toContain("gone");
      port1.close();
    })());
  });
});
