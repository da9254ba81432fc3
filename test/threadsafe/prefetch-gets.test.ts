// The holder side of prefetch on its own, against a stand-in for the owner whose
// fetches the test settles by hand, under VirtualClock: every wait point and the
// give-back timer, deterministically.
import { describe, expect, it } from "vitest";
import { CancelledError, type Coro, DataCloneError, type Future, QueueShutDown, allTasks, createTask, ensureFuture, getRunningLoop, sleep } from "../../src/index.js";
import { GIVE_BACK_MS, PrefetchingGets } from "../../src/threadsafe/prefetch.js";
import type { MessageClient } from "../../src/threadsafe/message-backend.js";
import { caught, runV } from "../support/harness.js";

interface Fetch {
  count: number;
  /** For a get that waits (else asked for ahead, and it may bring nothing). */
  wait: boolean;
  reply: Future<unknown>;
}

/** A stand-in owner: records each fetch (to settle by hand) and each message told. */
function owner(): { client: MessageClient; fetches: Fetch[]; told: [string, unknown[]][]; states: unknown[]; gets: PrefetchingGets<unknown> } {
  const fetches: Fetch[] = [];
  const told: [string, unknown[]][] = [];
  const states: unknown[] = [];
  const client = {
    ownerGone: false,
    call: (name: string, args: unknown[]) => {
      expect(name).toBe("getMany");
      const reply = getRunningLoop().createFuture<unknown>();
      fetches.push({ count: args[0] as number, wait: args[1] as boolean, reply });
      return reply;
    },
    tell: (name: string, args: unknown[]) => void told.push([name, args]),
  } as unknown as MessageClient;
  return { client, fetches, told, states, gets: new PrefetchingGets<unknown>(client, 8, (state) => states.push(state)) };
}

describe("prefetching gets (the holder side of prefetch)", () => {
  it("asks for one item first, doubles the batch while batches come back full, serves buffered items at once and asks ahead", async () => {
    await runV(function* (): Coro<void> {
      const { fetches, gets, states } = owner();
      const asked = () => fetches.map((f) => `${f.count}${f.wait ? "" : " ahead"}`);
      const first = createTask(gets.get());
      yield* sleep(0);
      expect(asked()).toEqual(["1"]);
      fetches[0]!.reply.setResult([["a"], "state 1"]);
      expect(yield* first).toBe("a");
      const second = createTask(gets.get());
      yield* sleep(0);
      fetches[1]!.reply.setResult([["b", "c"], "state 2"]);
      expect(yield* second).toBe("b");
      expect(yield* gets.get()).toBe("c"); // buffered: taken at once...
      expect(asked()).toEqual(["1", "2", "4 ahead"]); // ...and less than half a batch is left: the next is asked for ahead
      const third = createTask(gets.get());
      yield* sleep(0);
      expect(fetches).toHaveLength(3); // it waits for the one already out
      fetches[2]!.reply.setResult([[], "state 3"]); // asked ahead, it may bring nothing: then a fetch that waits
      yield* sleep(0);
      expect(asked()).toEqual(["1", "2", "4 ahead", "4"]);
      fetches[3]!.reply.setResult([["d"], "state 4"]); // not full: the batch stays
      expect(yield* third).toBe("d");
      createTask(gets.get());
      yield* sleep(0);
      expect(asked()).toEqual(["1", "2", "4 ahead", "4", "4"]);
      expect(states).toEqual(["state 1", "state 2", "state 3", "state 4"]);
      fetches[4]!.reply.setResult([["e"], "state 5"]);
      yield* sleep(0);
    });
  });

  it("an await of a get whose item was fetched already makes no task; one that must wait runs as a task, and decodes what it gets", async () => {
    await runV(function* (): Coro<void> {
      const { fetches, client } = owner();
      const gets = new PrefetchingGets<unknown>(client, 8, () => {}, (wire) => `decoded ${String(wire)}`);
      const tasks = allTasks().size;
      const first = gets.get().then((item) => item); // nothing here: it waits, as a task of its own
      expect(allTasks().size).toBe(tasks + 1);
      yield* sleep(0);
      fetches[0]!.reply.setResult([["a"], null]);
      expect(yield* ensureFuture(first)).toBe("decoded a");
      const second = createTask(gets.get());
      yield* sleep(0);
      fetches[1]!.reply.setResult([["b", "c"], null]);
      expect(yield* second).toBe("decoded b");
      const before = allTasks().size;
      const third = gets.get().then((item) => item); // "c" is here: taken in then()
      expect(allTasks().size).toBe(before);
      expect(yield* ensureFuture(third)).toBe("decoded c");
    });
  });

  it("makes one fetch for several waiting gets and serves them in the order they came", async () => {
    await runV(function* (): Coro<void> {
      const { fetches, gets } = owner();
      const waiting = [createTask(gets.get()), createTask(gets.get()), createTask(gets.get())];
      yield* sleep(0);
      expect(fetches).toHaveLength(1);
      fetches[0]!.reply.setResult([["a"], null]);
      yield* sleep(0);
      expect(fetches).toHaveLength(2); // the next fetch, for the two still waiting
      fetches[1]!.reply.setResult([["b", "c"], null]);
      expect([yield* waiting[0]!, yield* waiting[1]!, yield* waiting[2]!]).toEqual(["a", "b", "c"]);
    });
  });

  it("passes the item of a get woken and then cancelled before it ran on to the next get", async () => {
    await runV(function* (): Coro<void> {
      const { fetches, gets } = owner();
      const woken = createTask(gets.get());
      const next = createTask(gets.get());
      yield* sleep(0);
      // Done callbacks run in order: by this one, the fetch has woken `woken` with "a".
      fetches[0]!.reply.addDoneCallback(() => woken.cancel());
      fetches[0]!.reply.setResult([["a"], null]);
      expect(yield* caught(woken)).toBeInstanceOf(CancelledError);
      expect(yield* next).toBe("a");
    });
  });

  it("withdraws the fetch when the last waiting get gives up, and keeps what it brought anyway", async () => {
    await runV(function* (): Coro<void> {
      const { fetches, gets, told } = owner();
      const gaveUp = createTask(gets.get());
      yield* sleep(0);
      gaveUp.cancel();
      expect(yield* caught(gaveUp)).toBeInstanceOf(CancelledError);
      expect(fetches[0]!.reply.cancelled()).toBe(true);
      // A fetch that had taken items before its cancel arrived ends with them: they are kept, then given back.
      const { fetches: more, gets: other, told: otherTold } = owner();
      const leaving = createTask(other.get());
      yield* sleep(0);
      const reply = more[0]!.reply;
      reply.cancel = () => false; // the remote call had finished: the cancel request changes nothing
      leaving.cancel();
      yield* caught(leaving);
      reply.setResult([["kept"], null]);
      yield* sleep(GIVE_BACK_MS + 1);
      expect(otherTold).toEqual([["giveBack", [["kept"]]]]);
      expect(told).toEqual([]);
    });
  });

  it("gives back what no get took within the give-back time, at once, and halves the batch", async () => {
    await runV(function* (): Coro<void> {
      const { fetches, gets, told } = owner();
      createTask(gets.get());
      yield* sleep(0);
      fetches[0]!.reply.setResult([["a"], null]);
      yield* sleep(0);
      const busy = createTask(gets.get());
      yield* sleep(0);
      fetches[1]!.reply.setResult([["b", "c"], null]); // full: the batch is now 4
      expect(yield* busy).toBe("b");
      yield* sleep(GIVE_BACK_MS - 5);
      expect(yield* gets.get()).toBe("c"); // a get in time: nothing to give back
      const again = createTask(gets.get());
      yield* sleep(0);
      expect(fetches[2]!.count).toBe(4);
      fetches[2]!.reply.setResult([["d", "e", "f", "g"], null]);
      expect(yield* again).toBe("d");
      yield* sleep(GIVE_BACK_MS * 3);
      expect(told).toEqual([["giveBack", [["e", "f", "g"]]]]);
      const after = createTask(gets.get());
      yield* sleep(0);
      expect(fetches[3]!.count).toBe(4); // 8 halved
      fetches[3]!.reply.setResult([["h"], null]);
      expect(yield* after).toBe("h");
    });
  });

  it("fails every waiting get with the fetch's error, and refuses a batch it did not ask for", async () => {
    await runV(function* (): Coro<void> {
      const { fetches, gets } = owner();
      const waiting = [createTask(gets.get()), createTask(gets.get())];
      yield* sleep(0);
      fetches[0]!.reply.setException(new QueueShutDown("shut down and empty"));
      for (const get of waiting) expect(yield* caught(get)).toBeInstanceOf(QueueShutDown);
      const hostile = createTask(gets.get());
      yield* sleep(0);
      fetches[1]!.reply.setResult([["one", "two", "three"], null]); // asked for 1
      const error = yield* caught(hostile);
      expect(error).toBeInstanceOf(DataCloneError);
      expect((error as Error).message).toMatch(/not a batch of at most 1 items/);
    });
  });
});
