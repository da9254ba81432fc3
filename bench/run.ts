/**
 * Runs the benchmark suite: `npm run bench` (all suites) or `npm run bench -- core`;
 * `BENCH_ONLY=latency npm run bench -- threadsafe` runs only the groups whose name
 * contains "latency" (`BENCH_ONLY="latency|lock"`: either). Prints medians and
 * ratios, and merges them into bench/results.json (or into the file BENCH_RESULTS
 * names: scripts/bench-ranges.mjs keeps each of its runs apart that way).
 *
 * Each suite runs in a process of its own, as Node's own benchmark runner runs each
 * benchmark: a suite leaves V8's heap sized for its work, and the next one pays for
 * it. Measured (--trace-gc): after the core suite's 1e5-task groups had grown the
 * young generation to 32 MB, the threads suite's 64 MiB transfers ran under a full
 * collection every 8-10 ms, since V8 starts marking whenever the old generation's
 * headroom (24 MB there) is less than the young generation's size; 251 full
 * collections against 9 in a process of the transfer group alone, and 365 µs a
 * round trip against 44 µs. The raw case beside it allocates almost nothing and
 * was not slowed (31 µs against 30), so the ratio was the heap's, not the call's.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { coreGroups } from "./core.bench.js";
import { type BenchGroup, type GroupResult, printGroup, runGroup, saveResults } from "./harness.js";
import { streamGroups } from "./streams.bench.js";
import { syncGroups } from "./sync.bench.js";
import { threadSuite } from "./threads.bench.js";
import { threadsafeSuite } from "./threadsafe.bench.js";

interface Suite {
  groups: BenchGroup[];
  /** Measurements that do not fit the alternating harness; gets what the groups measured. */
  extra?: (measured: readonly GroupResult[]) => Promise<GroupResult[]>;
  close?: () => Promise<void>;
}

const suites: Record<string, () => Promise<Suite>> = {
  core: async () => ({ groups: coreGroups }),
  sync: async () => ({ groups: syncGroups }),
  threads: threadSuite,
  threadsafe: threadsafeSuite,
  streams: async () => ({ groups: streamGroups }),
};
const wanted = process.argv.slice(2);
const selected = wanted.length ? wanted : Object.keys(suites);
const only = process.env.BENCH_ONLY?.split("|");

if (selected.length > 1) {
  // One process per suite (see above); each merges its results into the same file.
  for (const name of selected) {
    if (!suites[name]) throw new Error(`unknown suite ${name}; known: ${Object.keys(suites).join(", ")}`);
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], { stdio: "inherit" });
  }
  process.exit(0);
}

const results: GroupResult[] = [];
for (const name of selected) {
  const makeSuite = suites[name];
  if (!makeSuite) throw new Error(`unknown suite ${name}; known: ${Object.keys(suites).join(", ")}`);
  const suite = await makeSuite();
  try {
    for (const group of suite.groups) {
      if (only !== undefined && !only.some((part) => group.name.includes(part))) continue;
      const result = await runGroup(group);
      printGroup(result);
      results.push(result);
    }
    for (const result of (await suite.extra?.(results)) ?? []) {
      printGroup(result);
      results.push(result);
    }
  } finally {
    await suite.close?.();
  }
}
saveResults(results, process.env.BENCH_RESULTS ? pathToFileURL(resolve(process.env.BENCH_RESULTS)) : undefined);
