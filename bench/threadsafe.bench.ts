/**
 * Thread-safe primitives on both backends: a put→get ping-pong between two threads
 * against a raw postMessage echo and a raw SharedArrayBuffer + Atomics.waitAsync
 * ping-pong, an uncontended lock against the single-thread Lock, and one producer
 * feeding two consumer threads with each codec.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type Coro, Lock, ThreadSafeLock, ThreadSafeQueue, type WorkerHandle, gather, spawnWorker } from "asyncio-ts";
import type { BenchGroup, CaseResult, GroupResult } from "./harness.js";
import { itemCodec } from "./workers/item-codec.mjs";
import { backgroundLoop, rawRoundTrip } from "./threads.bench.js";

const ROUND_TRIPS = 5_000;
const LOCK_CYCLES = 100_000;
const ITEMS = 20_000;

type Backend = "message" | "shared";
type Item = { id: number; name: string };

/** A raw SharedArrayBuffer + Atomics.waitAsync ping-pong of `count` round trips with `worker`. */
async function rawSharedPingPong(worker: Worker, count: number): Promise<void> {
  const words = new Int32Array(new SharedArrayBuffer(8));
  await new Promise<void>((resolve) => {
    worker.once("message", () => resolve());
    worker.postMessage({ buffer: words.buffer, count });
  });
  // A pending waitAsync does not keep Node alive: a timer does, meanwhile.
  const alive = setInterval(() => {}, 1000);
  try {
    await pingPongOn(words, count);
  } finally {
    clearInterval(alive);
  }
}

async function pingPongOn(words: Int32Array, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    Atomics.store(words, 0, i);
    Atomics.notify(words, 0);
    while (Atomics.load(words, 1) < i) {
      const wait = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> } }).waitAsync(words, 1, i - 1);
      if (wait.async) await wait.value;
    }
  }
}

const CONSUMERS_GROUP = "one producer → two consumer threads, small objects, 2e4 items";
const LOCK_GROUP = "uncontended lock acquire + release";

/**
 * W4G1/multithreading's channel and Mutex on the same workloads, measured in a
 * process of its own (see bench/peers/multithreading.mjs), beside our figures
 * from this run.
 */
function multithreadingPeer(measured: readonly GroupResult[]): GroupResult[] {
  const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
  let peer: { version: string; channelNsPerItem: number; mutexNsPerCycle: number };
  try {
    const output = execFileSync(process.execPath, ["--import", here("./peers/node22-shims.mjs"), here("./peers/multithreading.mjs"), String(ITEMS), String(LOCK_CYCLES)], { encoding: "utf8", timeout: 300_000 });
    peer = JSON.parse(output.trim().split("\n").pop()!);
  } catch (error) {
    console.log(`\nmultithreading not measured: ${(error as Error).message.split("\n")[0]}`);
    return [];
  }
  const beside = (group: string, oursName: string, peerName: string, peerNs: number): GroupResult[] => {
    const source = measured.find((result) => result.name === group);
    const ours = source?.cases.find((c) => c.name === oursName);
    if (source === undefined || ours === undefined) return [];
    const theirs: CaseResult = { name: peerName, ops: source.ops, medianNsPerOp: peerNs, opsPerSecond: 1e9 / peerNs, ratioToOurs: peerNs / ours.medianNsPerOp };
    return [{ name: `${group}: multithreading ${peer.version}, in a process of its own`, ops: source.ops, cases: [ours, theirs] }];
  };
  return [
    ...beside(CONSUMERS_GROUP, "asyncio-ts ThreadSafeQueue(256), shared, json codec", "multithreading channel(256) (JSON values)", peer.channelNsPerItem),
    ...beside(LOCK_GROUP, "asyncio-ts ThreadSafeLock, shared backend", "multithreading Mutex lock() + dispose", peer.mutexNsPerCycle),
  ];
}

export async function threadsafeSuite(): Promise<{ groups: BenchGroup[]; extra: (measured: readonly GroupResult[]) => Promise<GroupResult[]>; close: () => Promise<void> }> {
  const { loop, stop } = await backgroundLoop();
  const onLoop = <T>(body: () => Coro<T>) => loop.createTask(body());
  const workers: WorkerHandle<any>[] = await onLoop(function* () {
    const started = [0, 1].map(() => spawnWorker(new URL("./workers/threadsafe-worker.mjs", import.meta.url)));
    for (const worker of started) yield* worker.ready();
    return started;
  });
  const raw = new Worker(new URL("./workers/raw-worker.mjs", import.meta.url));
  await rawRoundTrip(raw, 0);
  const locks = await onLoop(function* () {
    return { message: new ThreadSafeLock({ backend: "message" }), shared: new ThreadSafeLock({ backend: "shared" }) };
  });
  const plainLock = new Lock();

  function pingPong(backend: Backend): () => unknown {
    return () =>
      onLoop(function* () {
        const ping = new ThreadSafeQueue<number>({ backend });
        const pong = new ThreadSafeQueue<number>({ backend });
        const partner = workers[0]!.call("pingPong", ping, pong, ROUND_TRIPS);
        for (let i = 0; i < ROUND_TRIPS; i++) {
          yield* ping.put(i);
          yield* pong.get();
        }
        yield* partner;
      });
  }

  function lockCycles(lock: ThreadSafeLock | Lock): () => unknown {
    return () =>
      onLoop(function* () {
        for (let i = 0; i < LOCK_CYCLES; i++) {
          yield* lock.acquire();
          lock.release();
        }
      });
  }

  function consumers(backend: Backend, codec: "clone" | "json" | typeof itemCodec, prefetch = 1): () => unknown {
    return () =>
      onLoop(function* () {
        const queue = new ThreadSafeQueue<Item>({ maxsize: 256, codec, backend, prefetch });
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
        { name: "asyncio-ts ThreadSafeQueue, shared backend", run: pingPong("shared") },
        {
          name: "raw SharedArrayBuffer + Atomics.waitAsync ping-pong",
          run: async () => {
            const worker = new Worker(new URL("./workers/raw-shared-worker.mjs", import.meta.url));
            try {
              await rawSharedPingPong(worker, ROUND_TRIPS);
            } finally {
              await worker.terminate();
            }
          },
        },
        { name: "asyncio-ts ThreadSafeQueue, message backend", run: pingPong("message") },
        {
          name: "raw postMessage echo",
          run: async () => {
            for (let i = 0; i < ROUND_TRIPS; i++) await rawRoundTrip(raw, i);
          },
        },
      ],
    },
    {
      name: LOCK_GROUP,
      ops: LOCK_CYCLES,
      rounds: 9,
      cases: [
        { name: "asyncio-ts ThreadSafeLock, shared backend", run: lockCycles(locks.shared) },
        { name: "asyncio-ts ThreadSafeLock, message backend (owner)", run: lockCycles(locks.message) },
        { name: "asyncio-ts Lock (one thread)", run: lockCycles(plainLock) },
      ],
    },
    {
      name: CONSUMERS_GROUP,
      ops: ITEMS,
      rounds: 5,
      cases: [
        { name: "asyncio-ts ThreadSafeQueue(256), shared, json codec", run: consumers("shared", "json") },
        { name: "asyncio-ts ThreadSafeQueue(256), shared, clone codec", run: consumers("shared", "clone") },
        { name: "asyncio-ts ThreadSafeQueue(256), shared, bytes codec", run: consumers("shared", itemCodec) },
        { name: "asyncio-ts ThreadSafeQueue(256), message, clone codec", run: consumers("message", "clone") },
        { name: "asyncio-ts ThreadSafeQueue(256), message, json codec", run: consumers("message", "json") },
        { name: "asyncio-ts ThreadSafeQueue(256), message, clone codec, prefetch 64", run: consumers("message", "clone", 64) },
        { name: "asyncio-ts ThreadSafeQueue(256), message, json codec, prefetch 64", run: consumers("message", "json", 64) },
      ],
    },
  ];
  return {
    groups,
    extra: async (measured) => multithreadingPeer(measured),
    close: async () => {
      await onLoop(function* () {
        for (const worker of workers) yield* worker.close();
      });
      await stop();
      await raw.terminate();
    },
  };
}
