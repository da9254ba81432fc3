// W4G1/multithreading's channel and Mutex on the workloads of the thread-safe
// suite, run in a process of its own: the library replaces globalThis.Worker and
// sets globalThis.self when it loads, which must not touch the process measuring
// asyncio-ts. It is written for Node 22: run it with --import ./node22-shims.mjs
// on Node 20. Prints one JSON line.
import { readFileSync } from "node:fs";

const { Mutex, channel, move, shutdown, spawn } = await import("multithreading");

// The suite passes its own figures: node multithreading.mjs <items> <lock cycles>.
const ITEMS = Number(process.argv[2] ?? 20_000);
const LOCK_CYCLES = Number(process.argv[3] ?? 100_000);

/** What each channel run delivered: a count other than ITEMS is the peer's own fault (lost or duplicated items). */
const deliveries = [];

/** One producer (this thread) feeding two consumer threads through a channel of 256. */
async function channelRun() {
  const [tx, rx] = channel(256);
  const consumers = [0, 1].map(() =>
    spawn(move(rx.clone()), async (receiver) => {
      let count = 0;
      for await (const _ of receiver) count++;
      return count;
    }),
  );
  for (let id = 0; id < ITEMS; id++) {
    const sent = await tx.send({ id, name: "item" });
    if (!sent.ok) throw sent.error;
  }
  tx.close(); // closes the channel for every handle: the consumers' loops end
  rx.close();
  const counts = await Promise.all(consumers.map((handle) => handle.join()));
  deliveries.push(counts.reduce((sum, result) => sum + result.value, 0));
}

async function mutexRun() {
  const mutex = new Mutex(0);
  for (let i = 0; i < LOCK_CYCLES; i++) {
    const guard = await mutex.lock();
    guard[Symbol.dispose]();
  }
}

async function median(run, ops, rounds) {
  for (let i = 0; i < 2; i++) await run();
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    samples.push(((performance.now() - started) * 1e6) / ops);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

const { version } = JSON.parse(readFileSync(new URL("../../node_modules/multithreading/package.json", import.meta.url), "utf8"));
const result = {
  version,
  channelNsPerItem: await median(channelRun, ITEMS, 5),
  mutexNsPerCycle: await median(mutexRun, LOCK_CYCLES, 9),
  channelRuns: deliveries.length,
  channelMisdelivered: deliveries.filter((total) => total !== ITEMS),
};
shutdown();
console.log(JSON.stringify(result));
