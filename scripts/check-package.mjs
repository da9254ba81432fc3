// Uses the built package the ways Node users will: ESM import and CJS require,
// through the package's own `exports` (a self-reference by name); runs a task, and
// spawns a worker that itself loads the package each way.
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const esm = await import("asyncio-ts");
const cjs = require("asyncio-ts");

for (const [how, lib, workerFile] of [
  ["import", esm, "./fixtures/package-worker.mjs"],
  ["require", cjs, "./fixtures/package-worker.cjs"],
]) {
  for (const name of ["run", "createTask", "sleep", "gather", "TaskGroup", "Lock", "Queue", "spawnWorker", "CancelledError", "VirtualClock"]) {
    assert.ok(lib[name], `${how}: export ${name} is missing`);
  }
  const value = await lib.run(
    (function* () {
      const task = lib.createTask(lib.sleep(1000, 21));
      return (yield* task) * 2;
    })(),
    { clock: new lib.VirtualClock() },
  );
  assert.equal(value, 42, `${how}: run() gave ${value}`);

  const sum = await lib.run(
    (function* () {
      const worker = lib.spawnWorker(new URL(workerFile, import.meta.url));
      try {
        return yield* worker.call("add", 40, 2);
      } finally {
        yield* worker.close();
      }
    })(),
  );
  assert.equal(sum, 42, `${how}: a worker gave ${sum}`);
}
assert.notEqual(esm.Future, cjs.Future, "ESM and CJS builds are separate files");
console.log("package check: import and require both work, in the main thread and in workers");
