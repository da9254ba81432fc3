// Checks the package as users get it: packs it, looks at what the tarball holds,
// installs it into a fresh project, and uses it there the ways Node users will —
// ESM import and CJS require, each in the main thread and in a worker that loads it
// the same way — then typechecks projects of each kind against its declarations.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { bin, copyInto, packTarball, projectWithPackage } from "./packed.mjs";

const { files } = packTarball();
for (const required of ["LICENSE", "README.md", "package.json", "dist/node/index.mjs", "dist/node/index.cjs", "dist/node/index.d.mts", "dist/node/index.d.cts", "dist/browser/index.mjs", "dist/browser/index.d.mts"]) {
  assert.ok(files.includes(required), `the tarball lacks ${required}`);
}
for (const file of files) {
  assert.ok(file === "LICENSE" || file === "README.md" || file === "package.json" || file.startsWith("dist/"), `the tarball should not hold ${file}`);
  assert.ok(!file.includes("node_modules"), `the tarball holds ${file}, which npm would drop on install`);
}

const project = projectWithPackage("check-package");
copyInto(project, "scripts/fixtures");
execFileSync(process.execPath, ["uses-package.mjs"], { cwd: project, stdio: "inherit" });

// Declarations stand alone: Node's need no DOM library, the browser's no @types/node.
const typeChecks = {
  "node ESM (NodeNext, no DOM lib)": { module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2022", "ESNext.Disposable"], types: ["node"], file: "main.mts" },
  "node CJS (NodeNext, no DOM lib)": { module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2022", "ESNext.Disposable"], types: ["node"], file: "main.cts" },
  "browser (Bundler, no @types/node)": { module: "ESNext", moduleResolution: "Bundler", lib: ["ES2022", "ESNext.Disposable", "DOM", "DOM.Iterable"], types: [], file: "main.ts" },
};
const usage = `import { run, createTask, sleep, spawnWorker, WorkerPool, openConnection, transfer, expose, Runner, startLoop, type Coro } from "asyncio-ts";
function* main(): Coro<number> { const t = createTask(sleep(1, 2)); return yield* t; }
void run(main()); void [spawnWorker, WorkerPool, openConnection, transfer, expose, Runner, startLoop];
`;
for (const [what, { file, ...options }] of Object.entries(typeChecks)) {
  const tsconfig = { compilerOptions: { target: "ES2022", strict: true, noEmit: true, skipLibCheck: false, ...options }, files: [file] };
  const dir = projectWithPackage("check-types", { [file]: usage, "tsconfig.json": JSON.stringify(tsconfig) });
  if (options.types.includes("node")) {
    copyInto(dir, "node_modules/@types/node", "node_modules/@types/node");
    copyInto(dir, "node_modules/undici-types", "node_modules/undici-types");
  }
  try {
    execFileSync(bin("tsc"), ["-p", "."], { cwd: dir, stdio: "inherit" });
  } catch {
    throw new Error(`the package's declarations do not typecheck in a ${what} project (${dir})`);
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`package check: types check in a ${what} project`);
}
rmSync(project, { recursive: true, force: true });
