// A thread-safe primitive's wire form comes from another thread: a malformed or
// forged one is refused with a DataCloneError that says what was wrong, and a port
// in it is told that the hold it stands for is not needed.
import { describe, expect, it } from "vitest";
import { Connection, type Coro, DataCloneError, ProtocolError, ThreadSafeBarrier, ThreadSafeEvent, ThreadSafeLock, ThreadSafeQueue, getRunningLoop, run, sleep } from "../../src/index.js";
import { encodeBatch } from "../../src/threads/protocol.js";
import { deserializeHandledValue, serializeHandledValue } from "../../src/threads/transfer-handlers.js";
import { HandFedEndpoint } from "../support/hand-fed-endpoint.js";
import { host } from "#platform";
import { caught, runV } from "../support/harness.js";

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

  it("is refused when it says it is sent again on a hold this thread does not have, or is a malformed pass again", async () => {
    void ThreadSafeQueue;
    await runV(function* () {
      for (const data of [["Queue", "some-thread:1", 1, undefined], ["Queue", 5, "1", null], ["Queue", "some-thread:1", -1, null]]) {
        expect(() => deserializeHandledValue(arrived(data))).toThrow(/a ThreadSafeQueue arrived with no port, on a hold this thread does not have/);
      }
      expect(() => deserializeHandledValue(arrived([3, "some-thread:1", 1, null]))).toThrow(/not a thread-safe primitive's wire form: an Array/);
      expect(() => deserializeHandledValue(arrived(["Nope", "some-thread:1", 1, null]))).toThrow(/unknown thread-safe kind "Nope"/);
      // A full form must bring a port.
      expect(() => deserializeHandledValue(arrived({ kind: "Queue", id: "some-thread:1", fields: {}, port: null, fromOwner: true, hold: 1 }))).toThrow(DataCloneError);
    });
  });

  it("keeps a holder's snapshot of a queue counts, whatever state the owner's answers carry", async () => {
    await run((function* (): Coro<void> {
      const loop = getRunningLoop();
      const reported: unknown[] = [];
      loop.setExceptionHandler((_loop, context) => void reported.push(context.message));
      const { port1, port2 } = new MessageChannel();
      const fields = { maxsize: 0, codec: "clone", state: ["lots", -3, "yes"] };
      const holder = deserializeHandledValue(arrived({ kind: "Queue", id: "forger:1", port: port2, fields, fromOwner: false, hold: 0, ownerToken: null })) as ThreadSafeQueue<number>;
      expect([holder.qsize(), holder.empty()]).toEqual([0, true]);
      // The owner's end, answering with states that are not counts.
      new Connection(host.adaptPort(port1), loop, { put: () => [2.5, Number.MAX_VALUE, true], get: () => [7, { size: 3 }], watchMe: () => {} }, { peerName: "a forging owner" });
      yield* holder.put(1);
      expect([holder.qsize(), holder.empty()]).toEqual([0, true]);
      expect(yield* holder.get()).toBe(7);
      expect(holder.qsize()).toBe(0);
      expect(reported).toEqual([]);
      port1.close();
    })());
  });

  it("keeps a holder's snapshots of the other kinds what they say they are, and refuses a barrier index that is none", async () => {
    await run((function* (): Coro<void> {
      const loop = getRunningLoop();
      const ownerEnds: MessagePort[] = [];
      /** A holder of `kind` whose owner's end answers with `operations`. */
      const forgedHolder = <H>(kind: string, fields: Record<string, unknown>, operations: Record<string, () => unknown>): H => {
        const { port1, port2 } = new MessageChannel();
        ownerEnds.push(port1);
        new Connection(host.adaptPort(port1), loop, { ...operations, watchMe: () => {} }, { peerName: "a forging owner" });
        return deserializeHandledValue(arrived({ kind, id: `forger:${kind}`, port: port2, fields, fromOwner: false, hold: 0, ownerToken: null })) as H;
      };
      const event = forgedHolder<ThreadSafeEvent>("Event", { state: "yes" }, { wait: () => "yes" });
      expect(event.isSet()).toBe(false);
      expect(yield* event.wait()).toBe(true);
      expect(event.isSet()).toBe(false);
      const lock = forgedHolder<ThreadSafeLock>("Lock", { state: 1 }, { acquire: () => "held" });
      expect(lock.locked()).toBe(false);
      yield* lock.acquire();
      expect(lock.locked()).toBe(false);
      const barrier = forgedHolder<ThreadSafeBarrier>("Barrier", { parties: -4, state: { nWaiting: "many", broken: 1 } }, { wait: () => [5, { nWaiting: 2.5 }], reset: () => ({ nWaiting: -1 }) });
      expect([barrier.parties, barrier.nWaiting, barrier.broken]).toEqual([1, 0, false]);
      const refused = yield* caught(barrier.wait());
      expect(refused).toBeInstanceOf(ProtocolError);
      expect((refused as Error).message).toBe("The thread that owns this ThreadSafeBarrier answered wait() with number 5, not an index below its number of parties (1).");
      yield* barrier.reset();
      expect(barrier.nWaiting).toBe(0);
      for (const port of ownerEnds) port.close();
    })());
  });

  it("ends the hold of one that comes as the result of no pending call", async () => {
    await run((function* (): Coro<void> {
      const loop = getRunningLoop();
      const reported: unknown[] = [];
      loop.setExceptionHandler((_loop, context) => void reported.push(context.exception));
      const queue = new ThreadSafeQueue<number>({ backend: "message" });
      // A real hold, as a thread holding the queue would send it on.
      const wire = serializeHandledValue(queue);
      expect(queue._openHolds()).toBe(1);
      const endpoint = new HandFedEndpoint();
      new Connection(endpoint, loop, {}, { peerName: "a forger" });
      endpoint.deliver(encodeBatch([{ kind: "result", id: 4242, value: wire }]));
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeInstanceOf(ProtocolError);
      for (let waited = 0; queue._openHolds() > 0 && waited < 5000; waited += 5) yield* sleep(5);
      expect(queue._openHolds()).toBe(0);
    })());
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
