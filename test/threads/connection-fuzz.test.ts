import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Connection, type Coro, type EventLoop, type ExceptionContext, NotExposedError, ProtocolError, type Task, WorkerCrashedError, getRunningLoop, run, sleep } from "../../src/index.js";
import { type Message, PROTOCOL_TAG, encodeBatch } from "../../src/threads/protocol.js";
import { HandFedEndpoint } from "../support/hand-fed-endpoint.js";

// A live connection fed by hand (HandFedEndpoint): what the other side "sends" is
// handed straight to the connection's listener, as a port would deliver it, and
// what it sends back is recorded. Both roles are exercised at once: it has calls
// out waiting for replies (the caller's side) and functions exposed (the serving side).

const RESULT = 4;
const ERROR = 5;
const CANCELLED = 6;

/** The ids a batch could possibly address with a reply (over-approximated: any reply code followed by a number). */
function addressedIds(envelope: readonly unknown[]): Set<number> {
  const ids = new Set<number>();
  for (let i = 1; i + 1 < envelope.length; i++) {
    if ((envelope[i] === RESULT || envelope[i] === ERROR || envelope[i] === CANCELLED) && typeof envelope[i + 1] === "number") ids.add(envelope[i + 1] as number);
  }
  return ids;
}

const names = fc.constantFrom("echo", "count", "toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", "missing");
const id = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: -3, max: 1e6 }));
const value = fc.oneof(fc.anything({ maxDepth: 2 }), fc.constant(undefined));
const serializedError = fc.record({ name: fc.oneof(names, fc.string()), message: fc.string(), stack: fc.constant("") });
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ kind: fc.constant("call" as const), id, name: names, args: fc.array(value, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant("soon" as const), name: names, args: fc.array(value, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant("cancel" as const), id, message: fc.string() }),
  fc.record({ kind: fc.constant("result" as const), id, value }),
  fc.record({ kind: fc.constant("error" as const), id, error: serializedError }),
  fc.record({ kind: fc.constant("cancelled" as const), id, message: fc.string() }),
  fc.record({ kind: fc.constant("ready" as const), names: fc.array(fc.string(), { maxLength: 3 }) }),
);

/** A valid batch, then damaged: a slot overwritten, removed or inserted, or the batch cut short. */
const mutatedBatch: fc.Arbitrary<unknown[]> = fc
  .tuple(
    fc.array(message, { minLength: 1, maxLength: 6 }),
    fc.array(fc.tuple(fc.constantFrom("set", "delete", "insert", "truncate"), fc.nat(), fc.oneof(value, fc.integer({ min: -5, max: 12 }))), { maxLength: 4 }),
  )
  .map(([messages, mutations]) => {
    const envelope: unknown[] = encodeBatch(messages);
    for (const [how, at, replacement] of mutations) {
      const index = 1 + (at % Math.max(1, envelope.length - 1));
      if (how === "set") envelope[index] = replacement;
      else if (how === "delete") envelope.splice(index, 1);
      else if (how === "insert") envelope.splice(index, 0, replacement);
      else envelope.length = index;
    }
    return envelope;
  });

const randomSlots = fc.array(fc.oneof(fc.integer({ min: -2, max: 12 }), value), { maxLength: 30 }).map((slots) => [PROTOCOL_TAG, ...slots]);

const input = fc.array(fc.oneof(mutatedBatch, randomSlots, fc.anything({ maxDepth: 2 }), fc.array(fc.anything({ maxDepth: 1 }))), { minLength: 1, maxLength: 5 });

/** Runs `body` on a real loop whose exception handler records what it is given. */
function runRecording(body: (loop: EventLoop, reported: ExceptionContext[]) => Coro<void>): Promise<void> {
  return run(
    (function* (): Coro<void> {
      const loop = getRunningLoop();
      const reported: ExceptionContext[] = [];
      loop.setExceptionHandler((_loop, context) => {
        reported.push(context);
      });
      yield* body(loop, reported);
    })(),
  );
}

describe("a live connection fed random, forged and damaged messages", () => {
  it("never throws out of its listener, never serves what was not exposed, and settles only calls a reply addressed", async () => {
    await runRecording(function* (loop, reported) {
      let served = 0;
      const exposed = {
        echo: (x: unknown) => x,
        count: () => ++served,
      };
      const runs: Array<{ calls: Task<unknown>[]; connection: Connection; addressed: Set<number> }> = [];
      fc.assert(
        fc.property(input, (batches) => {
          const endpoint = new HandFedEndpoint();
          const connection = new Connection(endpoint, loop, exposed, { peerName: "fuzzer" });
          const calls = Array.from({ length: 5 }, () => connection.call("remote", []));
          const addressed = new Set<number>();
          for (const data of batches) {
            if (Array.isArray(data)) for (const id of addressedIds(data)) addressed.add(id);
            // Returns: no throw, no endless loop (the test would hang), whatever the input.
            endpoint.deliver(data);
          }
          for (const call of calls) {
            if (call.done()) expect(addressed.has((call as unknown as { _id: number })._id)).toBe(true);
          }
          runs.push({ calls, connection, addressed });
        }),
        { numRuns: 400 },
      );
      yield* sleep(0); // served calls and soon-callbacks run
      yield* sleep(0);
      for (const context of reported) {
        expect(context.exception instanceof ProtocolError || context.exception instanceof NotExposedError).toBe(true);
      }
      expect(reported.some((context) => context.exception instanceof ProtocolError)).toBe(true);
      for (const { calls, connection } of runs) {
        connection.fail(new WorkerCrashedError("the fuzz run is over"));
        for (const call of calls) {
          if (!call.cancelled()) call.exception(); // retrieved: nothing left to report
        }
      }
    });
  });

  it("answers a name that is not its own exposed function (Object.prototype's included) with NotExposedError, and runs nothing", async () => {
    await runRecording(function* (loop, reported) {
      const endpoint = new HandFedEndpoint();
      new Connection(endpoint, loop, { echo: (x: unknown) => x }, { peerName: "a test peer" });
      const hostile = ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", "isPrototypeOf"];
      endpoint.deliver(encodeBatch(hostile.map((name, i) => ({ kind: "call", id: i + 1, name, args: [] }) as Message)));
      endpoint.deliver(encodeBatch(hostile.map((name) => ({ kind: "soon", name, args: [] }) as Message)));
      yield* sleep(0);
      const replies = endpoint.sent.flatMap((envelope) => (envelope as unknown[]).filter((slot) => typeof slot === "object" && slot !== null && "name" in slot));
      expect(replies).toHaveLength(hostile.length);
      for (const reply of replies) expect((reply as { name: string }).name).toBe("NotExposedError");
      expect(reported.map((context) => context.exception)).toHaveLength(hostile.length);
      for (const context of reported) expect(context.exception).toBeInstanceOf(NotExposedError);
      expect(reported[0]!.message).toMatch(/callSoonThreadsafe from a test peer: No function "toString" is exposed/);
    });
  });

  it("reports each malformed batch once, naming the peer, and keeps serving", async () => {
    await runRecording(function* (loop, reported) {
      const endpoint = new HandFedEndpoint();
      const connection = new Connection(endpoint, loop, { echo: (x: unknown) => x }, { peerName: "worker w-1" });
      const pending = connection.call("remote", []);
      endpoint.deliver([PROTOCOL_TAG, 1, 7, "echo", -3]); // negative count: once looped forever
      endpoint.deliver([PROTOCOL_TAG, RESULT, 4242, "for no call"]);
      endpoint.deliver(["asyncio-ts/1", 1]);
      endpoint.deliver({ unrelated: true }); // not ours: ignored without a report
      expect(reported).toHaveLength(3);
      expect(reported.map((context) => context.message)).toEqual([
        expect.stringMatching(/dropped a malformed message from worker w-1: .*argument count/),
        expect.stringMatching(/a reply for call 4242, which is not pending/),
        expect.stringMatching(/speaks asyncio-ts\/1.*same asyncio-ts version/),
      ]);
      expect(pending.done()).toBe(false);
      endpoint.deliver(encodeBatch([{ kind: "call", id: 1, name: "echo", args: ["still here"] }, { kind: "result", id: 1, value: "answer" }]));
      expect(yield* pending).toBe("answer");
      yield* sleep(0);
      yield* sleep(0);
      expect(JSON.stringify(endpoint.sent)).toContain("still here");
    });
  });
});
