/**
 * Threads: call round trips and pipelined calls against raw postMessage and
 * comlink, a worker pool against piscina, CPU-bound speed-up, and pool start-up.
 * Workers are plain .mjs files that load the built package.
 */
import { wrap } from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { Worker } from "node:worker_threads";
import { Piscina } from "piscina";
import { CancelledError, type Coro, type EventLoop, type Task, type WorkerHandle, WorkerPool, gather, getRunningLoop, run, spawnWorker, transfer } from "asyncio-ts";
import { burn } from "./workers/burn.mjs";
import type { BenchGroup, GroupResult } from "./harness.js";

const SEQUENTIAL_CALLS = 20_000;
const IN_FLIGHT = 64;
const PIPELINED_CALLS = 64_000;
const POOL_TASKS = 20_000;
const CPU_CHUNKS = 8;
const CPU_ITERATIONS = 4_000_000;
const TRANSFER_BYTES = 64 * 1024 * 1024;
const TRANSFERS = 200;
const CANCELS = 500;

const workerUrl = new URL("./workers/asyncio-worker.mjs", import.meta.url);

/** A loop kept running in the background, so workers are spawned once, not per run. */
export async function backgroundLoop(): Promise<{ loop: EventLoop; stop: () => Promise<void> }> {
  let loop!: EventLoop;
  let release!: () => void;
  const started = new Promise<void>((resolve) => {
    release = resolve;
  });
  let stopFuture: { setResult(v: undefined): void } | null = null;
  const finished = run(
    (function* (): Coro<void> {
      loop = getRunningLoop();
      const stop = loop.createFuture<undefined>();
      stopFuture = stop;
      release();
      yield* stop;
    })(),
  );
  await started;
  return {
    loop,
    stop: async () => {
      stopFuture!.setResult(undefined);
      await finished;
    },
  };
}

function onLoop<T>(loop: EventLoop, body: () => Coro<T>): Task<T> {
  return loop.createTask(body());
}

/** Raw postMessage echo of a buffer, moved both ways; resolves with the buffer back. */
function rawTransferRoundTrip(worker: Worker, buffer: ArrayBuffer): Promise<ArrayBuffer> {
  return new Promise((resolve) => {
    worker.once("message", resolve);
    worker.postMessage(buffer, [buffer]);
  });
}

/** Raw postMessage echo, one message in flight at a time. */
export function rawRoundTrip(worker: Worker, value: number): Promise<unknown> {
  return new Promise((resolve) => {
    worker.once("message", resolve);
    worker.postMessage(value);
  });
}

export async function threadSuite(): Promise<{ groups: BenchGroup[]; extra: () => Promise<GroupResult[]>; close: () => Promise<void> }> {
  const { loop, stop } = await backgroundLoop();
  const ours: WorkerHandle<any> = await onLoop(loop, function* () {
    const worker = spawnWorker(workerUrl);
    yield* worker.ready();
    return worker;
  });
  const raw = new Worker(new URL("./workers/raw-worker.mjs", import.meta.url));
  const comlinkWorker = new Worker(new URL("./workers/comlink-worker.mjs", import.meta.url));
  const comlink = wrap<{ echo(value: number): number }>(nodeEndpoint(comlinkWorker as never) as never);
  await comlink.echo(0);
  await rawRoundTrip(raw, 0);
  const pool: WorkerPool<any> = await onLoop(loop, function* () {
    const pool = new WorkerPool(workerUrl, { size: 2, inflightPerWorker: 32 });
    yield* gather(pool.call("echo", 1), pool.call("echo", 2), pool.call("echo", 3));
    return pool;
  });
  const piscina = new Piscina({ filename: new URL("./workers/piscina-task.mjs", import.meta.url).href, minThreads: 2, maxThreads: 2, concurrentTasksPerWorker: 32 });
  await Promise.all([piscina.run(1), piscina.run(2)]);

  // Each buffer travels and comes back: the next round sends what came back.
  const buffers = { ours: new ArrayBuffer(TRANSFER_BYTES), raw: new ArrayBuffer(TRANSFER_BYTES) };

  const groups: BenchGroup[] = [
    {
      name: "call round trip, one at a time",
      ops: SEQUENTIAL_CALLS,
      rounds: 9,
      cases: [
        {
          name: "asyncio-ts worker.call (plain function)",
          run: () =>
            onLoop(loop, function* () {
              for (let i = 0; i < SEQUENTIAL_CALLS; i++) yield* ours.call("echo", i);
            }),
        },
        {
          name: "raw postMessage echo",
          run: async () => {
            for (let i = 0; i < SEQUENTIAL_CALLS; i++) await rawRoundTrip(raw, i);
          },
        },
        {
          name: "comlink",
          run: async () => {
            for (let i = 0; i < SEQUENTIAL_CALLS; i++) await comlink.echo(i);
          },
        },
      ],
    },
    {
      name: "64 calls in flight",
      ops: PIPELINED_CALLS,
      rounds: 9,
      cases: [
        {
          name: "asyncio-ts worker.call",
          run: () =>
            onLoop(loop, function* () {
              function* lane(): Coro<void> {
                for (let i = 0; i < PIPELINED_CALLS / IN_FLIGHT; i++) yield* ours.call("echo", i);
              }
              yield* gather(...Array.from({ length: IN_FLIGHT }, () => loop.createTask(lane())));
            }),
        },
        {
          name: "comlink",
          run: async () => {
            async function lane(): Promise<void> {
              for (let i = 0; i < PIPELINED_CALLS / IN_FLIGHT; i++) await comlink.echo(i);
            }
            await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
          },
        },
      ],
    },
    {
      name: "64 MiB round trip, moved (transfer) both ways",
      ops: TRANSFERS,
      rounds: 15,
      cases: [
        {
          name: "asyncio-ts worker.call with transfer()",
          run: () =>
            onLoop(loop, function* () {
              let buffer = buffers.ours;
              for (let i = 0; i < TRANSFERS; i++) buffer = (yield* ours.call("echoTransfer", transfer(buffer, [buffer]))) as ArrayBuffer;
              buffers.ours = buffer;
            }),
        },
        {
          name: "raw postMessage with a transfer list",
          run: async () => {
            let buffer = buffers.raw;
            for (let i = 0; i < TRANSFERS; i++) buffer = await rawTransferRoundTrip(raw, buffer);
            buffers.raw = buffer;
          },
        },
      ],
    },
    {
      name: "2e4 tiny tasks on a 2-worker pool",
      ops: POOL_TASKS,
      rounds: 9,
      cases: [
        {
          name: "asyncio-ts WorkerPool (32 in flight per worker)",
          run: () =>
            onLoop(loop, function* () {
              const tasks = new Array(POOL_TASKS);
              for (let i = 0; i < POOL_TASKS; i++) tasks[i] = pool.call("echo", i);
              yield* gather(...tasks);
            }),
        },
        {
          name: "piscina (concurrentTasksPerWorker 32)",
          run: async () => {
            const tasks = new Array(POOL_TASKS);
            for (let i = 0; i < POOL_TASKS; i++) tasks[i] = piscina.run(i);
            await Promise.all(tasks);
          },
        },
      ],
    },
    {
      name: "CPU-bound work: 8 chunks",
      ops: CPU_CHUNKS,
      rounds: 7,
      cases: [
        {
          name: "asyncio-ts WorkerPool, 2 workers",
          run: () =>
            onLoop(loop, function* () {
              yield* gather(...Array.from({ length: CPU_CHUNKS }, () => pool.call("burn", CPU_ITERATIONS)));
            }),
        },
        {
          name: "main thread",
          run: () => {
            for (let i = 0; i < CPU_CHUNKS; i++) burn(CPU_ITERATIONS);
          },
        },
      ],
    },
  ];

  /**
   * From cancel() to the local task being done, for a call blocked in sleep on the
   * worker: the cancel goes across, the coroutine there unwinds, and the end comes
   * back. Beside it, a raw message round trip: what that exchange costs at least.
   * Only that stretch is timed, not starting the call.
   */
  async function cancelLatency(): Promise<GroupResult> {
    const rounds = 9;
    // Warmed up first, as the harness warms every case: the first few hundred cancels
    // run in V8's unoptimised tiers (measured: ~1.9x raw there, ~1.3x after).
    const warmUpRounds = 3;
    const oursSamples: number[] = [];
    const rawSamples: number[] = [];
    for (let round = 0; round < warmUpRounds + rounds; round++) {
      const counted = round >= warmUpRounds;
      const perCancelNs = await onLoop(loop, function* () {
        let total = 0;
        for (let i = 0; i < CANCELS; i++) {
          const call = ours.call("sleepy", 1e9);
          yield* ours.call("echo", 0); // calls start in order: the sleep has begun
          const started = performance.now();
          call.cancel();
          try {
            yield* call;
          } catch (error) {
            if (!(error instanceof CancelledError)) throw error;
          }
          total += performance.now() - started;
        }
        return (total * 1e6) / CANCELS;
      });
      let total = 0;
      for (let i = 0; i < CANCELS; i++) {
        const started = performance.now();
        await rawRoundTrip(raw, i);
        total += performance.now() - started;
      }
      if (counted) {
        oursSamples.push(perCancelNs);
        rawSamples.push((total * 1e6) / CANCELS);
      }
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const oursNs = median(oursSamples);
    const rawNs = median(rawSamples);
    return {
      name: "cancel → local task done, remote call blocked in sleep",
      ops: CANCELS,
      cases: [
        { name: "asyncio-ts task.cancel() of a worker call", ops: CANCELS, medianNsPerOp: oursNs, opsPerSecond: 1e9 / oursNs, ratioToOurs: 1 },
        { name: "raw postMessage round trip (a cancel and its answer)", ops: CANCELS, medianNsPerOp: rawNs, opsPerSecond: 1e9 / rawNs, ratioToOurs: rawNs / oursNs },
      ],
    };
  }

  /** Pool start to first result: a fresh pool each time, shutdown not counted. */
  async function startUp(): Promise<GroupResult[]> {
    const samples: number[] = [];
    for (let i = 0; i < 11; i++) {
      const elapsed = await onLoop(loop, function* () {
        const started = performance.now();
        const fresh = new WorkerPool(workerUrl, { size: 2 });
        yield* fresh.call("echo", 1);
        const took = performance.now() - started;
        yield* fresh.shutdown();
        return took;
      });
      samples.push(elapsed);
    }
    samples.sort((a, b) => a - b);
    const medianMs = samples[samples.length >> 1]!;
    return [
      {
        name: "pool start to first result",
        ops: 1,
        cases: [{ name: "asyncio-ts new WorkerPool(size 2) + first call", ops: 1, medianNsPerOp: medianMs * 1e6, opsPerSecond: 1000 / medianMs, ratioToOurs: 1 }],
      },
    ];
  }

  return {
    groups,
    extra: async () => [await cancelLatency(), ...(await startUp())],
    close: async () => {
      await onLoop(loop, function* () {
        yield* ours.close();
        yield* pool.shutdown();
      });
      await stop();
      await raw.terminate();
      await comlinkWorker.terminate();
      await piscina.destroy();
    },
  };
}
