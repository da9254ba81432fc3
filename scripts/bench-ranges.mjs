// Runs the benchmark suite several times, each in a fresh process, and prints the
// range of every row over the runs: on a noisy host one run moves most rows by a
// third, so a target is judged on the range (issue 12: "give the range over
// several runs"), not on one table.
//
//   npm run bench:ranges -- 3              three runs of every suite
//   npm run bench:ranges -- 5 core sync    five runs of two suites
//
// `BENCH_ONLY` narrows the groups as it does for `npm run bench`. The runs write
// their results to temporary files: bench/results.json (the README's table) is
// left as it is. `BENCH_RANGES_KEEP=dir` keeps each run's results there instead
// (run-1.json, …), to compare cases other than a group's first.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const [countArgument, ...suites] = process.argv.slice(2);
const runs = Number(countArgument ?? 3);
if (!Number.isInteger(runs) || runs < 2) {
  console.error(`bench-ranges expects a number of runs (2 or more) first, got ${JSON.stringify(countArgument)}`);
  process.exit(2);
}

const root = fileURLToPath(new URL("..", import.meta.url));
const bundle = join(root, "bench/run.bundle.mjs");
execFileSync(join(root, "node_modules/.bin/esbuild"), ["bench/run.ts", "--bundle", "--platform=node", "--format=esm", "--packages=external", "--external:asyncio-ts", `--outfile=${bundle}`, "--log-level=warning"], { cwd: root, stdio: "inherit" });

const keep = process.env.BENCH_RANGES_KEEP;
if (keep) mkdirSync(keep, { recursive: true });
const scratch = keep || mkdtempSync(join(tmpdir(), "bench-ranges-"));
/** group name → case name → the per-op times and ratios of each run */
const rows = new Map();
try {
  for (let run = 1; run <= runs; run++) {
    const file = join(scratch, `run-${run}.json`);
    console.error(`run ${run} of ${runs}…`);
    execFileSync(process.execPath, ["--expose-gc", bundle, ...suites], { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, BENCH_RESULTS: file } });
    const { groups } = JSON.parse(readFileSync(file, "utf8"));
    for (const group of Object.values(groups)) {
      const cases = rows.get(group.name) ?? new Map();
      rows.set(group.name, cases);
      for (const result of group.cases) {
        const seen = cases.get(result.name) ?? { ns: [], ratio: [] };
        cases.set(result.name, seen);
        seen.ns.push(result.medianNsPerOp);
        // The first case (ours) over this one, as the README's targets are written ("≤ 1.5× raw").
        seen.ratio.push(1 / result.ratioToOurs);
      }
    }
  }
} finally {
  if (!keep) rmSync(scratch, { recursive: true, force: true });
}

const perOp = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(1)} ns`);
const range = (values, format) => {
  const low = format(Math.min(...values));
  const high = format(Math.max(...values));
  return low === high ? low : `${low}–${high}`;
};
console.log(`${runs} runs, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}; "first ÷ this" is the group's first case's time over this case's, per run.\n`);
console.log("| benchmark | case | per op | first ÷ this |");
console.log("|---|---|---|---|");
for (const [group, cases] of rows) {
  let first = true;
  for (const [name, seen] of cases) {
    const ratio = first ? "—" : range(seen.ratio, (value) => `${value.toFixed(2)}×`);
    console.log(`| ${first ? group : ""} | ${name} | ${range(seen.ns, perOp)} | ${ratio} |`);
    first = false;
  }
}
