/**
 * Runs the benchmark suite: `npm run bench` (all groups) or `npm run bench -- core`.
 * Prints medians and ratios, and merges them into bench/results.json.
 */
import { coreGroups } from "./core.bench.js";
import { syncGroups } from "./sync.bench.js";
import { type BenchGroup, type GroupResult, printGroup, runGroup, saveResults } from "./harness.js";

const suites: Record<string, BenchGroup[]> = { core: coreGroups, sync: syncGroups };
const wanted = process.argv.slice(2);
const selected = wanted.length ? wanted : Object.keys(suites);

const results: GroupResult[] = [];
for (const name of selected) {
  const groups = suites[name];
  if (!groups) throw new Error(`unknown suite ${name}; known: ${Object.keys(suites).join(", ")}`);
  for (const group of groups) {
    const result = await runGroup(group);
    printGroup(result);
    results.push(result);
  }
}
saveResults(results);
