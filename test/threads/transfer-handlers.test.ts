import { describe, expect, it } from "vitest";
import { type Coro, DataCloneError, type Task, registerTransferHandler, run, spawnWorker } from "../../src/index.js";
import type { api as MathApi } from "./fixtures/math-worker.js";
import { caught } from "../support/harness.js";
import { deserializeHandledValue, serializeHandledValue } from "../../src/threads/transfer-handlers.js";
import { transferablesOf } from "../../src/threads/transfer.js";
import { mathWorkerUrl } from "./fixtures/worker-url.js";

// A handler's serialize may take something for the receiver (a port, a slot, a
// count); when the message never goes, its abandon gives that back.
class Ticket {
  constructor(readonly n: number) {}
}
const log: string[] = [];
registerTransferHandler("test/ticket", {
  canHandle: (value): value is Ticket => value instanceof Ticket,
  serialize: (ticket: Ticket) => {
    if (ticket.n < 0) throw new RangeError("a negative ticket");
    log.push(`serialize ${ticket.n}`);
    return [ticket.n, []];
  },
  deserialize: (n) => new Ticket(n as number),
  abandon: (n) => log.push(`abandon ${String(n)}`),
});

describe("transfer handlers", { timeout: 30_000 }, () => {
  it("give back what serializing took when the message is not sent, and only then", async () => {
    await run(
      (function* (): Coro<void> {
        const worker = spawnWorker<typeof MathApi>(mathWorkerUrl);
        const add = worker.api.add as unknown as (...args: unknown[]) => Task<number>;
        try {
          yield* worker.ready();
          // Another argument cannot be cloned: the call fails here, naming it.
          const refused = yield* caught(add(new Ticket(1), { f() {} }));
          expect(refused).toBeInstanceOf(DataCloneError);
          expect((refused as Error).message).toMatch(/^Cannot send argument 2 \(an Object\) of add\(\)/);
          // A later argument's serialize throws: the earlier one is given back.
          expect(yield* caught(add(new Ticket(2), new Ticket(-1)))).toBeInstanceOf(RangeError);
          // Sent (the worker has no such handler, and says so): nothing to give back.
          expect(yield* caught(add(new Ticket(3), 1))).toBeInstanceOf(Error);
          expect(log).toEqual(["serialize 1", "abandon 1", "serialize 2", "abandon 2", "serialize 3"]);
        } finally {
          yield* worker.close();
        }
      })(),
    );
  });

  it("quote a head of a handler's refusal of what arrived, and keep it whole as the cause", () => {
    // A handler may quote what it was sent; the other side chose that, and its size.
    registerTransferHandler("test/quoting", {
      canHandle: (value): value is { quote: string } => typeof value === "object" && value !== null && "quote" in value,
      serialize: (value: { quote: string }) => [value.quote, []],
      deserialize: (data) => {
        throw new TypeError(`cannot use ${String(data)}`);
      },
    });
    const wire = serializeHandledValue({ quote: "x".repeat(100_000) });
    let refusal: unknown;
    try {
      deserializeHandledValue(wire);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataCloneError);
    const message = (refusal as Error).message;
    expect(message).toMatch(/^Could not rebuild the test\/quoting object received from another thread: TypeError: cannot use x+… \(100022 characters; see the cause\)$/);
    expect(message.length).toBeLessThan(700);
    expect(((refusal as Error).cause as Error).message).toHaveLength(100_011);
    // A short refusal is quoted whole.
    let short: unknown;
    try {
      deserializeHandledValue(serializeHandledValue({ quote: "y" }));
    } catch (error) {
      short = error;
    }
    expect((short as Error).message).toBe("Could not rebuild the test/quoting object received from another thread: TypeError: cannot use y");
  });

  it("mark only a serialized form with something to move, and refuse a list of what to move that is not an array", () => {
    class Boxed {}
    let moved: unknown = [];
    registerTransferHandler("test/boxed", {
      canHandle: (value): value is Boxed => value instanceof Boxed,
      serialize: () => [null, moved as never],
      deserialize: () => new Boxed(),
    });
    expect(transferablesOf([serializeHandledValue(new Boxed())])).toEqual([]);
    const { port1 } = new MessageChannel();
    moved = [port1];
    expect(transferablesOf([serializeHandledValue(new Boxed())])).toEqual([port1]);
    port1.close();
    moved = "not a list";
    expect(() => serializeHandledValue(new Boxed())).toThrow(/transfer\(\) expects a list of what to move/);
  });

  it("refuses an abandon or a discard that is not a function", () => {
    const handler = { canHandle: () => false, serialize: () => [null, []], deserialize: () => ({}) };
    expect(() => registerTransferHandler("test/bad", { ...handler, abandon: 5 } as never)).toThrow(/registerTransferHandler\("test\/bad"\): abandon, if given, is a function/);
    expect(() => registerTransferHandler("test/bad", { ...handler, discard: "no" } as never)).toThrow(/registerTransferHandler\("test\/bad"\): discard, if given, is a function/);
  });
});
