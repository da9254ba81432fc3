/**
 * Runs the benchmark suite: `npm run bench` (all suites) or `npm run bench -- core`;
 * `BENCH_ONLY=latency npm run bench -- threadsafe` runs only the groups whose name
 * contains "latency" (`BENCH_ONLY="latency|lock"`: either). Prints medians and
 * ratios, and merges them into bench/results.json (or into the file BENCH_RESULTS
 * names: scripts/bench-ranges.mjs keeps each of its runs apart that way).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
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
