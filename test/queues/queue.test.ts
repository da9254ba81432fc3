import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  ValueError,
  allTasks,
  createTask,
  getRunningLoop,
  run,
  sleep,
} from "../../src/index.js";
import { QueueIterator } from "../../src/queues/queue-iterator.js";
import { Log, caught, runV } from "../support/harness.js";

// Modelled on CPython's Lib/test/test_asyncio/test_queues.py.

describe("Queue", () => {
  it("hands items out in FIFO order and reports its size", async () => {
    await runV(function* () {
      const queue = new Queue<number>();
      expect(queue.empty()).toBe(true);
      for (const n of [1, 2, 3]) yield* queue.put(n);
      expect(queue.qsize()).toBe(3);
      expect(queue.full()).toBe(false);
      expect([yield* queue.get(), queue.getNowait(), yield* queue.get()]).toEqual([1, 2, 3]);
      expect(queue.empty()).toBe(true);
    });
  });

  it("does not yield on get() from a non-empty queue or put() into a non-full one", async () => {
    const log = new Log();
    await runV(function* () {
      const queue = new Queue<string>(1);
      getRunningLoop().callSoon(() => log.add("callback"));
      yield* queue.put("x");
      log.add(`got ${yield* queue.get()}`);
      yield* sleep(0);
    });
    expect(log.events).toEqual(["got x", "callback"]);
  });

  it("makes put() wait while full, and get() wait while empty", async () => {
    const { clock, events } = await (async () => {
      const log = new Log();
      let clockNow = 0;
      await runV(function* () {
        const loop = getRunningLoop();
        const queue = new Queue<number>(2);
        const producer = createTask(
          (function* (): Coro<void> {
            for (let i = 0; i < 4; i++) {
              yield* queue.put(i);
              log.add(`put ${i} at ${loop.time()}`);
            }
          })(),
        );
        yield* sleep(10);
        for (let i = 0; i < 4; i++) {
          log.add(`got ${yield* queue.get()} at ${loop.time()}`);
          yield* sleep(10);
        }
        yield* producer;
        clockNow = loop.time();
      });
      return { clock: clockNow, events: log.events };
    })();
    expect(events).toEqual([
      "put 0 at 0",
      "put 1 at 0",
      "got 0 at 10",
      "put 2 at 10",
      "got 1 at 20",
      "put 3 at 20",
      "got 2 at 30",
      "got 3 at 40",
    ]);
    expect(clock).toBe(50);
  });

  it("raises QueueEmpty and QueueFull from the nowait methods", async () => {
    await runV(function* () {
      const queue = new Queue<number>(1);
      expect(() => queue.getNowait()).toThrow(QueueEmpty);
      queue.putNowait(1);
      expect(() => queue.putNowait(2)).toThrow(QueueFull);
      expect(queue.qsize()).toBe(1);
    });
  });

  it("adds nothing when a blocked put() is cancelled", async () => {
    await runV(function* () {
      const queue = new Queue<string>(1);
      queue.putNowait("first");
      const putter = createTask(queue.put("cancelled"));
      yield* sleep(1);
      putter.cancel();
      expect(yield* caught(putter)).toBeInstanceOf(CancelledError);
      expect(queue.getNowait()).toBe("first");
      expect(queue.empty()).toBe(true);
    });
  });

  it("loses no item when a getter is cancelled after it was woken: the next getter gets it", async () => {
    await runV(function* () {
      const queue = new Queue<string>();
      const first = createTask(queue.get());
      const second = createTask(queue.get());
      yield* sleep(1);
      queue.putNowait("item"); // wakes first ...
      first.cancel(); // ... which is cancelled before it takes the item
      expect(yield* caught(first)).toBeInstanceOf(CancelledError);
      expect(yield* second).toBe("item");
    });
  });

  it("lets the next putter in when a woken putter is cancelled", async () => {
    await runV(function* () {
      const queue = new Queue<string>(1);
      queue.putNowait("full");
      const first = createTask(queue.put("first"));
      const second = createTask(queue.put("second"));
      yield* sleep(1);
      queue.getNowait(); // wakes first ...
      first.cancel(); // ... which leaves
      yield* caught(first);
      yield* second;
      expect(queue.getNowait()).toBe("second");
    });
  });

  it("withdraws a waiting get or put whose coroutine is closed with return(), passing on a wake-up it got", async () => {
    await runV(function* () {
      const queue = new Queue<string>(1);
      // A get closed while it waits: the next item goes to the getter behind it.
      const closed = queue.get();
      expect(closed.next().done).toBe(false); // waits: the queue is empty
      const behind = createTask(queue.get());
      yield* sleep(1);
      expect(closed.return("gone")).toEqual({ done: true, value: "gone" });
      queue.putNowait("item");
      expect(yield* behind).toBe("item");

      // Woken for an item, then closed: the wake-up goes on to the next getter.
      const woken = queue.get();
      woken.next();
      const next = createTask(queue.get());
      yield* sleep(1);
      queue.putNowait("second"); // wakes `woken` first
      woken.return(undefined as never);
      expect(yield* next).toBe("second");

      // A put closed while the queue is full adds nothing.
      queue.putNowait("full");
      const put = queue.put("never");
      expect(put.next().done).toBe(false);
      put.return(undefined);
      expect(queue.getNowait()).toBe("full");
      expect(queue.empty()).toBe(true);
      expect(put.next()).toEqual({ done: true, value: undefined });

      // Woken for a free slot, then closed: the slot goes to the next putter.
      queue.putNowait("again full");
      const wokenPut = queue.put("closed");
      wokenPut.next();
      const nextPut = createTask(queue.put("next"));
      yield* sleep(1);
      expect(queue.getNowait()).toBe("again full"); // wakes `wokenPut` first
      wokenPut.return(undefined);
      yield* nextPut;
      expect(queue.getNowait()).toBe("next");
      expect(queue.empty()).toBe(true);
    });
  });

  it("is awaitable from async code: a put or get over at once is done in then(), with no task; one that waits runs as a task", async () => {
    await run(async () => {
      const queue = new Queue<number>(1);
      const tasks = allTasks().size;
      const put = queue.put(1).then(() => "put");
      expect(queue.qsize()).toBe(1); // room: put in place
      expect(allTasks().size).toBe(tasks);
      expect(await put).toBe("put");
      const waiting = queue.put(2).then(() => "put later"); // full: it waits, as a task of its own
      expect(allTasks().size).toBe(tasks + 1);
      const get = queue.get();
      const got = get.then((item) => item);
      expect(queue.qsize()).toBe(0); // there: taken in place, and the waiting put is woken
      expect(await got).toBe(1);
      expect(await waiting).toBe("put later");
      expect(await get).toBe(1); // awaited again: the same result, nothing taken twice
      expect(queue.getNowait()).toBe(2);
      queue.shutdown();
      await expect(queue.put(4)).rejects.toBeInstanceOf(QueueShutDown); // an error at once
      await expect(queue.get()).rejects.toBeInstanceOf(QueueShutDown); // an error from its wait's check, in a task
    });
  });

  it("counts puts, not buffer contents, for taskDone and join", async () => {
    await runV(function* () {
      const loop = getRunningLoop();
      const queue = new Queue<number>();
      for (let i = 0; i < 3; i++) queue.putNowait(i);
      const joiner = createTask(queue.join());
      for (let i = 0; i < 3; i++) {
        queue.getNowait();
        yield* sleep(5);
        queue.taskDone();
      }
      yield* joiner;
      expect(loop.time()).toBe(15);
      expect(() => queue.taskDone()).toThrow(/taskDone\(\) called too many times/);
      yield* queue.join(); // nothing unfinished: returns at once
    });
  });

  it("on shutdown refuses puts, lets gets drain, then raises QueueShutDown", async () => {
    await runV(function* () {
      const queue = new Queue<number>();
      queue.putNowait(1);
      queue.shutdown();
      expect(queue.isShutDown).toBe(true);
      expect(() => queue.putNowait(2)).toThrow(QueueShutDown);
      expect(yield* caught(queue.put(2))).toBeInstanceOf(QueueShutDown);
      expect(yield* queue.get()).toBe(1);
      expect(yield* caught(queue.get())).toBeInstanceOf(QueueShutDown);
      expect(() => queue.getNowait()).toThrow(QueueShutDown);
    });
  });

  it("wakes blocked getters and putters with QueueShutDown", async () => {
    await runV(function* () {
      const empty = new Queue<number>();
      const getter = createTask(empty.get());
      const full = new Queue<number>(1);
      full.putNowait(0);
      const putter = createTask(full.put(1));
      yield* sleep(1);
      empty.shutdown();
      full.shutdown();
      expect(yield* caught(getter)).toBeInstanceOf(QueueShutDown);
      expect(yield* caught(putter)).toBeInstanceOf(QueueShutDown);
      expect(full.getNowait()).toBe(0);
    });
  });

  it("drops queued items on an immediate shutdown and marks them done, so join returns", async () => {
    await runV(function* () {
      const queue = new Queue<number>();
      for (let i = 0; i < 3; i++) queue.putNowait(i);
      queue.getNowait(); // taken but not yet done
      const joiner = createTask(queue.join());
      yield* sleep(1);
      queue.shutdown(true);
      expect(queue.empty()).toBe(true);
      expect(joiner.done()).toBe(false); // the item taken is still unfinished
      queue.taskDone();
      yield* joiner;
      expect(yield* caught(queue.get())).toBeInstanceOf(QueueShutDown);
    });
  });

  it("is an async iterable that ends when shut down and drained", async () => {
    const seen = await run(async () => {
      const queue = new Queue<number>(2);
      const producer = createTask(async () => {
        for (let i = 0; i < 5; i++) await queue.put(i);
        queue.shutdown();
      });
      const items: number[] = [];
      for await (const item of queue) items.push(item);
      await producer;
      return items;
    });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it("leaves the items after a break in the queue, ends an iterator once broken out of, and passes on an error other than QueueShutDown", async () => {
    await run(async () => {
      const queue = new Queue<number>();
      for (let i = 0; i < 4; i++) queue.putNowait(i);
      const iterator = queue[Symbol.asyncIterator]();
      for await (const item of { [Symbol.asyncIterator]: () => iterator }) if (item === 1) break;
      expect(queue.qsize()).toBe(2); // 2 and 3 are still there
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      expect(queue.getNowait()).toBe(2);
      // Waiting for an item, then shut down: the loop ends cleanly.
      const seen: number[] = [];
      const reading = (async () => {
        for await (const item of queue) seen.push(item);
      })();
      await sleep(1);
      queue.shutdown();
      await reading;
      expect(seen).toEqual([3]);
    });
    // A get that fails otherwise (here, a source that is no queue): the error ends the loop.
    const failing = new QueueIterator<number>({ get: () => Promise.reject(new ValueError("boom")) });
    await expect(failing.next()).rejects.toThrow("boom");
  });

  it("takes items given back (a thread-safe queue's prefetch) at the head, still unfinished, waking a getter for each", async () => {
    await runV(function* (): Coro<void> {
      const queue = new Queue<string>(2);
      queue.putNowait("a");
      queue.putNowait("b");
      const taken = [queue.getNowait(), queue.getNowait()]; // taken ahead by another thread
      queue.putNowait("c");
      queue._giveBack(taken); // back at the head, past maxsize for a moment
      expect(queue.qsize()).toBe(3);
      expect([queue.getNowait(), queue.getNowait(), queue.getNowait()]).toEqual(["a", "b", "c"]);
      const joined = createTask(queue.join());
      yield* sleep(0);
      expect(joined.done()).toBe(false); // three were put, none is done: a give-back is not a put
      for (let i = 0; i < 3; i++) queue.taskDone();
      yield* joined;
      const getters = [createTask(queue.get()), createTask(queue.get())];
      yield* sleep(0);
      queue._giveBack(["x", "y"]);
      expect([yield* getters[0]!, yield* getters[1]!]).toEqual(["x", "y"]);
    });
  });

  it("drops items given back after shutdown(immediate) and marks them done, so join() returns", async () => {
    await runV(function* (): Coro<void> {
      const queue = new Queue<string>();
      queue.putNowait("a");
      const taken = queue.getNowait();
      queue.shutdown(true);
      const joined = createTask(queue.join());
      yield* sleep(0);
      expect(joined.done()).toBe(false);
      queue._giveBack([taken]);
      expect(queue.qsize()).toBe(0);
      yield* joined;
    });
  });

  it("refuses a negative or non-integer maxsize", () => {
    expect(() => new Queue(-1)).toThrow(ValueError);
    expect(() => new Queue(1.5)).toThrow(TypeError);
    expect(new Queue(Infinity).full()).toBe(false);
  });
});

describe("PriorityQueue", () => {
  it("gives the smallest first: numbers, strings and tuples element by element", async () => {
    await runV(function* () {
      const numbers = new PriorityQueue<number>();
      for (const n of [5, 1, 4, 2, 3]) numbers.putNowait(n);
      expect(Array.from({ length: 5 }, () => numbers.getNowait())).toEqual([1, 2, 3, 4, 5]);

      const tuples = new PriorityQueue<[number, string]>();
      for (const t of [[2, "b"], [1, "z"], [2, "a"], [0, "x"]] as Array<[number, string]>) yield* tuples.put(t);
      expect(Array.from({ length: 4 }, () => tuples.getNowait())).toEqual([[0, "x"], [1, "z"], [2, "a"], [2, "b"]]);
    });
  });

  it("orders with a comparator and a maxsize", async () => {
    await runV(function* () {
      const queue = new PriorityQueue<{ deadline: number }>({ maxsize: 2, compare: (a, b) => b.deadline - a.deadline });
      queue.putNowait({ deadline: 1 });
      queue.putNowait({ deadline: 9 });
      expect(queue.full()).toBe(true);
      expect(queue.getNowait().deadline).toBe(9);
    });
  });

  it("refuses items it cannot order, leaving the queue as it was", async () => {
    await runV(function* () {
      const queue = new PriorityQueue<unknown>();
      queue.putNowait(1);
      queue.putNowait(2);
      expect(() => queue.putNowait({ not: "orderable" })).toThrow(/cannot order an Object against number 1/);
      expect(queue.qsize()).toBe(2);
      expect([queue.getNowait(), queue.getNowait()]).toEqual([1, 2]);
    });
  });
});

describe("LifoQueue", () => {
  it("gives the newest item first", async () => {
    await runV(function* () {
      const queue = new LifoQueue<number>();
      for (const n of [1, 2, 3]) queue.putNowait(n);
      expect([yield* queue.get(), yield* queue.get(), yield* queue.get()]).toEqual([3, 2, 1]);
    });
  });
});
