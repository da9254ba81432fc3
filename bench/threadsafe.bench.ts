/**
 * Thread-safe primitives (message backend): a put→get ping-pong between two threads
 * against a raw postMessage echo, the owner's uncontended lock against the
 * single-thread Lock, and one producer feeding two consumer threads.
 */
import { Worker } from "node:worker_threads";
import { type Coro, Lock, ThreadSafeLock, ThreadSafeQueue, type WorkerHandle, gather, spawnWorker } from "asyncio-ts";
import type { BenchGroup } from "./harness.js";
import { backgroundLoop, rawRoundTrip } from "./threads.bench.js";

const ROUND_TRIPS = 5_000;
const LOCK_CYCLES = 100_000;
const ITEMS = 20_000;

export async function threadsafeSuite(): Promise<{ groups: BenchGroup[]; close: () => Promise<void> }> {
  const { loop, stop } = await backgroundLoop();
  const onLoop = <T>(body: () => Coro<T>) => loop.createTask(body());
  const workers: WorkerHandle<any>[] = await onLoop(function* () {
    const started = [0, 1].map(() => spawnWorker(new URL("./workers/threadsafe-worker.mjs", import.meta.url)));
    for (const worker of started) yield* worker.ready();
    return started;
  });
  const raw = new Worker(new URL("./workers/raw-worker.mjs", import.meta.url));
  await rawRoundTrip(raw, 0);
  const ownersLock = await onLoop(function* () {
    return new ThreadSafeLock();
  });
  const plainLock = new Lock();

  function consumers(codec: "clone" | "json"): () => unknown {
    return () =>
      onLoop(function* () {
        const queue = new ThreadSafeQueue<{ id: number; name: string }>({ maxsize: 256, codec });
        const drains = workers.map((worker) => worker.call("drain", queue));
        for (let id = 0; id < ITEMS; id++) yield* queue.put({ id, name: "item" });
        queue.shutdown();
        const counts = (yield* gather(...drains)) as number[];
        if (counts[0]! + counts[1]! !== ITEMS) throw new Error(`the consumers got ${counts} of ${ITEMS}`);
      });
  }

  const groups: BenchGroup[] = [
    {
      name: "put→get ping-pong between two threads (round trip; one way is half)",
      ops: ROUND_TRIPS,
      rounds: 7,
      cases: [
        {
          name: "asyncio-ts ThreadSafeQueue, message backend",
          run: () =>
            onLoop(function* () {
              const ping = new ThreadSafeQueue<number>();
              const pong = new ThreadSafeQueue<number>();
              const partner = workers[0]!.call("pingPong", ping, pong, ROUND_TRIPS);
              for (let i = 0; i < ROUND_TRIPS; i++) {
                yield* ping.put(i);
                yield* pong.get();
              }
              yield* partner;
            }),
        },
        {
          name: "raw postMessage echo",
          run: async () => {
            for (let i = 0; i < ROUND_TRIPS; i++) await rawRoundTrip(raw, i);
          },
        },
      ],
    },
    {
      name: "uncontended lock acquire + release on the owning thread",
      ops: LOCK_CYCLES,
      rounds: 9,
      cases: [
        {
          name: "asyncio-ts ThreadSafeLock (owner)",
          run: () =>
            onLoop(function* () {
              for (let i = 0; i < LOCK_CYCLES; i++) {
                yield* ownersLock.acquire();
                ownersLock.release();
              }
            }),
        },
        {
          name: "asyncio-ts Lock (one thread)",
          run: () =>
            onLoop(function* () {
              for (let i = 0; i < LOCK_CYCLES; i++) {
                yield* plainLock.acquire();
                plainLock.release();
              }
            }),
        },
      ],
    },
    {
      name: "one producer → two consumer threads, small objects, 2e4 items",
      ops: ITEMS,
      rounds: 5,
      cases: [
        { name: "asyncio-ts ThreadSafeQueue(256), clone codec", run: consumers("clone") },
        { name: "asyncio-ts ThreadSafeQueue(256), json codec", run: consumers("json") },
      ],
    },
  ];
  return {
    groups,
    close: async () => {
      await onLoop(function* () {
        for (const worker of workers) yield* worker.close();
      });
      await stop();
      await raw.terminate();
    },
  };
}
