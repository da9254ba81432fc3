/**
 * Synchronization and queues: a contended Lock against async-mutex, and a bounded
 * Queue between one producer and one consumer.
 */
import { Mutex } from "async-mutex";
import { type Coro, Lock, Queue, createTask, gather, run, sleep } from "asyncio-ts";
import type { BenchGroup } from "./harness.js";

const CONTENDERS = 10;
const CYCLES_EACH = 20_000;
const ITEMS = 1_000_000;

export const syncGroups: BenchGroup[] = [
  {
    name: "lock acquire/release, 10 tasks competing (cycles without a wait inside)",
    ops: CONTENDERS * CYCLES_EACH,
    rounds: 9,
    cases: [
      {
        name: "asyncio-ts Lock (yield*)",
        run: () =>
          run(
            (function* (): Coro<void> {
              const lock = new Lock();
              let counter = 0;
              function* contender(): Coro<void> {
                for (let i = 0; i < CYCLES_EACH; i++) {
                  yield* lock.acquire();
                  counter++;
                  lock.release();
                }
              }
              yield* gather(...Array.from({ length: CONTENDERS }, () => createTask(contender())));
              if (counter !== CONTENDERS * CYCLES_EACH) throw new Error("lost cycles");
            })(),
          ),
      },
      {
        name: "async-mutex Mutex (await)",
        run: async () => {
          const mutex = new Mutex();
          let counter = 0;
          async function contender(): Promise<void> {
            for (let i = 0; i < CYCLES_EACH; i++) {
              const release = await mutex.acquire();
              counter++;
              release();
            }
          }
          await Promise.all(Array.from({ length: CONTENDERS }, contender));
          if (counter !== CONTENDERS * CYCLES_EACH) throw new Error("lost cycles");
        },
      },
    ],
  },
  {
    name: "lock handed over at every cycle: 10 tasks, each holds it across a yield",
    ops: CONTENDERS * (CYCLES_EACH),
    rounds: 9,
    cases: [
      {
        name: "asyncio-ts Lock, yield* sleep(0) inside",
        run: () =>
          run(
            (function* (): Coro<void> {
              const lock = new Lock();
              function* contender(): Coro<void> {
                for (let i = 0; i < CYCLES_EACH; i++) {
                  yield* lock.acquire();
                  yield* sleep(0);
                  lock.release();
                }
              }
              yield* gather(...Array.from({ length: CONTENDERS }, () => createTask(contender())));
            })(),
          ),
      },
      {
        name: "async-mutex Mutex, await null inside",
        run: async () => {
          const mutex = new Mutex();
          async function contender(): Promise<void> {
            for (let i = 0; i < CYCLES_EACH; i++) {
              const release = await mutex.acquire();
              await null;
              release();
            }
          }
          await Promise.all(Array.from({ length: CONTENDERS }, contender));
        },
      },
    ],
  },
  {
    name: "queue maxsize 100, one producer, one consumer, 1e6 items",
    ops: ITEMS,
    rounds: 7,
    cases: [
      {
        name: "asyncio-ts Queue put/get (yield*)",
        run: () =>
          run(
            (function* (): Coro<void> {
              const queue = new Queue<number>(100);
              function* producer(): Coro<void> {
                for (let i = 0; i < ITEMS; i++) yield* queue.put(i);
              }
              function* consumer(): Coro<number> {
                let sum = 0;
                for (let i = 0; i < ITEMS; i++) sum += yield* queue.get();
                return sum;
              }
              const [, sum] = yield* gather(createTask(producer()), createTask(consumer()));
              if (sum !== (ITEMS * (ITEMS - 1)) / 2) throw new Error("lost items");
            })(),
          ),
      },
    ],
  },
];
