// What an app pays for each part of the package, measured as a user's bundler
// would: the packed package installed into a fresh project, an entry importing
// those names, `esbuild --bundle --minify --format=esm --platform=browser`, gzip -9.
// Peers are measured the same way in the same run. `npm run size` prints a table
// (the README's "Size" section) and writes bench/size-results.json.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { bin, copyInto, packTarball, projectWithPackage, root } from "./packed.mjs";

const entries = [
  { what: "asyncio-ts core: run, createTask, sleep, gather, waitFor, TaskGroup", code: 'import { run, createTask, sleep, gather, waitFor, TaskGroup } from "asyncio-ts"; console.log(run, createTask, sleep, gather, waitFor, TaskGroup);', target: 8 },
  { what: "asyncio-ts worker side: expose", code: 'import { expose } from "asyncio-ts"; expose({ f() {} });', target: 12 },
  { what: "asyncio-ts main side of threads: spawnWorker, WorkerPool", code: 'import { spawnWorker, WorkerPool } from "asyncio-ts"; console.log(spawnWorker, WorkerPool);', target: 14 },
  { what: "asyncio-ts Lock, Queue", code: 'import { Lock, Queue } from "asyncio-ts"; console.log(Lock, Queue);' },
  { what: "comlink: wrap, expose", code: 'import { wrap, expose } from "comlink"; console.log(wrap, expose);', peer: "comlink" },
  { what: "effection: run, spawn, sleep, all, race", code: 'import { run, spawn, sleep, all, race } from "effection"; console.log(run, spawn, sleep, all, race);', peer: "effection" },
  { what: "p-queue: PQueue", code: 'import PQueue from "p-queue"; console.log(PQueue);', peer: "p-queue" },
];

packTarball();
const project = projectWithPackage("bundle-size");
for (const peer of new Set(entries.map((entry) => entry.peer).filter(Boolean))) copyInto(project, `node_modules/${peer}`, `node_modules/${peer}`);
// p-queue's own dependencies
for (const dependency of ["eventemitter3", "p-timeout"]) copyInto(project, `node_modules/${dependency}`, `node_modules/${dependency}`);

const rows = entries.map((entry, i) => {
  writeFileSync(join(project, `entry-${i}.mjs`), entry.code);
  execFileSync(bin("esbuild"), [`entry-${i}.mjs`, "--bundle", "--minify", "--format=esm", "--platform=browser", `--outfile=out-${i}.js`, "--log-level=warning", "--external:node:*"], { cwd: project, stdio: "inherit" });
  const bytes = readFileSync(join(project, `out-${i}.js`));
  return { ...entry, minified: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
});
rmSync(project, { recursive: true, force: true });

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log("| what is imported | minified | gzip -9 | target |");
console.log("|---|---|---|---|");
for (const row of rows) {
  const target = row.target === undefined ? "" : `≤ ${row.target} KB: ${row.gzipped <= row.target * 1024 ? "met" : "not met"}`;
  console.log(`| ${row.what} | ${kb(row.minified)} | ${kb(row.gzipped)} | ${target} |`);
}
writeFileSync(join(root, "bench/size-results.json"), JSON.stringify({ measured: new Date().toISOString(), rows }, null, 2) + "\n");
