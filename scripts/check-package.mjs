// Imports the built package the two ways Node users will: ESM import and CJS require,
// through the package's own `exports` (a self-reference by name), and runs a task.
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const esm = await import("asyncio-ts");
const cjs = require("asyncio-ts");

for (const [how, lib] of [["import", esm], ["require", cjs]]) {
  for (const name of ["run", "createTask", "sleep", "gather", "TaskGroup", "CancelledError", "VirtualClock"]) {
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
}
assert.notEqual(esm.Future, cjs.Future, "ESM and CJS builds are separate files");
console.log("package check: import and require both work");
