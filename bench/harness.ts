/**
 * A small benchmark harness: each case runs alternately with its comparisons in one
 * process (so machine noise hits all of them alike), and the report gives medians
 * per operation and ratios against the first case of the group ("ours").
 */
import { writeFileSync, readFileSync, existsSync } from "node:fs";

export interface BenchCase {
  name: string;
  /** Operations per run when they differ from the group's (a much slower peer). */
  ops?: number;
  /**
   * Runs `ops` operations once; may be async. A case that times itself (a latency
   * read off timestamps, without the pauses between samples) resolves to
   * `{ measuredMs }`, which then counts instead of the run's wall time.
   */
  run: () => unknown | Promise<unknown>;
}

export interface BenchGroup {
  name: string;
  /** Operations per run of each case (to report time per operation). */
  ops: number;
  /** The first case is ours; the others are compared with it. */
  cases: BenchCase[];
  /** Timed rounds per case (after the warm-up). */
  rounds?: number;
}

export interface CaseResult {
  name: string;
  ops: number;
  medianNsPerOp: number;
  opsPerSecond: number;
  /** This case's time per op divided by ours: > 1 means ours is faster. */
  ratioToOurs: number;
}

export interface GroupResult {
  name: string;
  ops: number;
  cases: CaseResult[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Lets whatever the previous case left running finish (a library may tear down
 * asynchronously after its promise resolves), so no case runs alongside another.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Collects garbage. Done once per group, after the warm-up, not before every
 * round: a forced full collection also shrinks V8's young generation, so the
 * round after it measured its regrowth (up to 40% slower for allocating cases)
 * rather than the steady state a running application sees. Alternating the cases
 * round by round, in an order that flips every round, keeps the comparison fair:
 * each sees the heap the others leave, from both sides.
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The time a self-timed case measured (see `BenchCase.run`), if it is one. */
function selfTimed(outcome: unknown): number | undefined {
  const measured = typeof outcome === "object" && outcome !== null ? (outcome as { measuredMs?: unknown }).measuredMs : undefined;
  return typeof measured === "number" ? measured : undefined;
}

/** Runs one group, alternating its cases round by round. */
export async function runGroup(group: BenchGroup): Promise<GroupResult> {
  const rounds = group.rounds ?? 15;
  const samples = group.cases.map(() => [] as number[]);
  // Warm up until the JIT has settled: at least 3 runs and 300 ms per case.
  for (const benchCase of group.cases) {
    const started = performance.now();
    for (let i = 0; i < 3 || performance.now() - started < 300; i++) await benchCase.run();
  }
  await settle();
  collectGarbage();
  const forward = group.cases.map((_, i) => i);
  const backward = [...forward].reverse();
  for (let round = 0; round < rounds; round++) {
    // The order flips every round: a case that leaves the collector work to do (64
    // MiB buffers arriving, 1e5 tasks) must not always hand it to the same next one.
    for (const i of round % 2 === 0 ? forward : backward) {
      await settle();
      const started = performance.now();
      const outcome = await group.cases[i]!.run();
      samples[i]!.push(selfTimed(outcome) ?? performance.now() - started);
    }
  }
  const medians = samples.map((s, i) => (median(s) * 1e6) / (group.cases[i]!.ops ?? group.ops));
  const ours = medians[0]!;
  return {
    name: group.name,
    ops: group.ops,
    cases: group.cases.map((benchCase, i) => ({
      name: benchCase.name,
      ops: benchCase.ops ?? group.ops,
      medianNsPerOp: medians[i]!,
      opsPerSecond: 1e9 / medians[i]!,
      ratioToOurs: medians[i]! / ours,
    })),
  };
}

/** Prints a group as a table row set. */
export function printGroup(result: GroupResult): void {
  console.log(`\n${result.name} (${result.ops} ops per run)`);
  for (const c of result.cases) {
    const perOp = c.medianNsPerOp >= 1000 ? `${(c.medianNsPerOp / 1000).toFixed(3)} µs` : `${c.medianNsPerOp.toFixed(1)} ns`;
    const name = c.ops !== result.ops ? `${c.name} (${c.ops} ops)` : c.name;
    console.log(`  ${name.padEnd(48)} ${perOp.padStart(12)}/op  ${formatRate(c.opsPerSecond).padStart(10)}  ×${c.ratioToOurs.toFixed(2)} ours`);
  }
}

function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}

/** Merges results into bench/results.json, keyed by group name. */
export function saveResults(results: GroupResult[], file = new URL("./results.json", import.meta.url)): void {
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { groups: Record<string, GroupResult> }) : { groups: {} };
  for (const result of results) previous.groups[result.name] = result;
  const machine = { node: process.version, platform: process.platform, arch: process.arch, date: new Date().toISOString() };
  writeFileSync(file, JSON.stringify({ machine, groups: previous.groups }, null, 2) + "\n");
}
