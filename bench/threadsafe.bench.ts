/**
 * Thread-safe primitives on both backends: a put→get ping-pong between two threads
 * against a raw postMessage echo and a raw SharedArrayBuffer + Atomics.waitAsync
 * ping-pong, an uncontended lock against the single-thread Lock, and one producer
 * feeding two consumer threads with each codec.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type Coro, Lock, ThreadSafeLock, ThreadSafeQueue, type WorkerHandle, gather, sleep, spawnWorker } from "asyncio-ts";
import type { BenchGroup, CaseResult, GroupResult } from "./harness.js";
import { hrMs } from "./workers/hr-ms.mjs";
import { itemCodec } from "./workers/item-codec.mjs";
import { backgroundLoop, rawRoundTrip } from "./threads.bench.js";

const ROUND_TRIPS = 5_000;
const LOCK_CYCLES = 100_000;
const ITEMS = 20_000;
/** Calls of the "queue passed with every call" group. */
const CALLS = 1_000;
/** One-way latency samples per run, each sent after a pause, to an idle receiver. */
const STAMPS = 300;
const PAUSE_MS = 1;

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

/**
 * The raw one-way latency: `count` time stamps sent to `worker` (a
 * raw-one-way-worker) after a pause each, over postMessage or shared memory;
 * resolves to the time they took to arrive, in all.
 */
async function rawOneWay(worker: Worker, over: "message" | "shared", count: number): Promise<{ measuredMs: number }> {
  const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  const answer = () => new Promise<number>((resolve) => worker.once("message", resolve));
  if (over === "message") {
    for (let i = 0; i < count; i++) {
      await pause();
      worker.postMessage(hrMs());
    }
    const total = answer();
    worker.postMessage("report");
    return { measuredMs: await total };
  }
  const buffer = new SharedArrayBuffer(16);
  const words = new Int32Array(buffer);
  const stamp = new Float64Array(buffer, 8, 1);
  const ready = answer();
  worker.postMessage({ buffer, count });
  await ready;
  const total = answer();
  for (let i = 1; i <= count; i++) {
    await pause();
    stamp[0] = hrMs();
    Atomics.store(words, 0, i);
    Atomics.notify(words, 0);
  }
  return { measuredMs: await total };
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

/** Said beside the peer's channel when some of its runs delivered a wrong number of items (it is timed all the same). */
function misdelivered(peer: { channelRuns: number; channelMisdelivered: number[] }): string {
  const wrong = peer.channelMisdelivered;
  return wrong.length === 0 ? "" : `, delivered ${wrong.join(", ")} of ${ITEMS} items in ${wrong.length} of its ${peer.channelRuns} runs`;
}

/**
 * W4G1/multithreading's channel and Mutex on the same workloads, measured in a
 * process of its own (see bench/peers/multithreading.mjs), beside our figures
 * from this run.
 */
function multithreadingPeer(measured: readonly GroupResult[]): GroupResult[] {
  const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
  let peer: { version: string; channelNsPerItem: number; mutexNsPerCycle: number; channelRuns: number; channelMisdelivered: number[] };
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
    ...beside(CONSUMERS_GROUP, "asyncio-ts ThreadSafeQueue(256), shared, json codec", `multithreading channel(256) (JSON values)${misdelivered(peer)}`, peer.channelNsPerItem),
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
  const rawOneWayWorker = new Worker(new URL("./workers/raw-one-way-worker.mjs", import.meta.url));
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

  /** Time stamps put on a queue after a pause each, got by a worker waiting for them. */
  function oneWay(backend: Backend): () => PromiseLike<{ measuredMs: number }> {
    return () =>
      onLoop(function* () {
        const queue = new ThreadSafeQueue<number>({ backend });
        const receiver = workers[0]!.call("latencies", queue, STAMPS);
        for (let i = 0; i < STAMPS; i++) {
          yield* sleep(PAUSE_MS);
          yield* queue.put(hrMs());
        }
        return { measuredMs: (yield* receiver) as number };
      });
  }

  /** `CALLS` sequential calls of the worker, each passing `extra` (a queue) beside a number, or not. */
  function callsPassing(extra: ThreadSafeQueue<number> | null): () => unknown {
    return () =>
      onLoop(function* () {
        for (let i = 0; i < CALLS; i++) yield* (extra === null ? workers[1]!.call("echo", i) : workers[1]!.call("echo", i, extra));
      });
  }
  const resultsQueues = await onLoop(function* () {
    return { shared: new ThreadSafeQueue<number>({ backend: "shared" }), message: new ThreadSafeQueue<number>({ backend: "message" }) };
  });

  function lockCycles(lock: ThreadSafeLock | Lock): () => unknown {
    return () =>
      onLoop(function* () {
        for (let i = 0; i < LOCK_CYCLES; i++) {
          yield* lock.acquire();
          lock.release();
        }
      });
  }

  function consumers(backend: Backend, codec: "clone" | "json" | typeof itemCodec, prefetch = 1, drain: "drain" | "drainForAwait" = "drain"): () => unknown {
    return () =>
      onLoop(function* () {
        const queue = new ThreadSafeQueue<Item>({ maxsize: 256, codec, backend, prefetch });
        const drains = workers.map((worker) => worker.call(drain, queue));
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
      // What one item costs to cross when the other side waits for it, idle (the
      // round trip above also has the answering thread's own put and next get on
      // its path: on the message backend, two messages more than a raw echo).
      name: "one-way put→get latency, a time stamp every 1 ms to a worker waiting in get()",
      ops: STAMPS,
      rounds: 5,
      cases: [
        { name: "asyncio-ts ThreadSafeQueue, shared backend", run: oneWay("shared") },
        { name: "raw SharedArrayBuffer + Atomics.waitAsync", run: () => rawOneWay(rawOneWayWorker, "shared", STAMPS) },
        { name: "asyncio-ts ThreadSafeQueue, message backend", run: oneWay("message") },
        { name: "raw postMessage", run: () => rawOneWay(rawOneWayWorker, "message", STAMPS) },
      ],
    },
    {
      // What a pool user pays for handing a results queue to every call: once the
      // worker holds it, the call carries no new port (see docs/threads.md).
      name: "call round trip passing a queue the worker holds (a results queue given with every call)",
      ops: CALLS,
      rounds: 7,
      cases: [
        { name: "asyncio-ts worker.call(…, queue), shared backend", run: callsPassing(resultsQueues.shared) },
        { name: "asyncio-ts worker.call(…, queue), message backend", run: callsPassing(resultsQueues.message) },
        { name: "the same call without the queue", run: callsPassing(null) },
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
        { name: "asyncio-ts ThreadSafeQueue(256), shared, json codec, consumers are async functions (for await)", run: consumers("shared", "json", 1, "drainForAwait") },
        { name: "asyncio-ts ThreadSafeQueue(256), message, clone codec", run: consumers("message", "clone") },
        { name: "asyncio-ts ThreadSafeQueue(256), message, json codec", run: consumers("message", "json") },
        { name: "asyncio-ts ThreadSafeQueue(256), message, clone codec, prefetch 64", run: consumers("message", "clone", 64) },
        { name: "asyncio-ts ThreadSafeQueue(256), message, json codec, prefetch 64", run: consumers("message", "json", 64) },
        { name: "asyncio-ts ThreadSafeQueue(256), message, json codec, prefetch 64, consumers are async functions (for await)", run: consumers("message", "json", 64, "drainForAwait") },
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
      await rawOneWayWorker.terminate();
    },
  };
}
