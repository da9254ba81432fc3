// Every ```ts example in the README and the guides compiles: each block is written
// out as its own module and typechecked against the sources (tsconfig's "paths"
// maps asyncio-ts to src/index.ts). A block that names something must import or
// declare it, as a reader copying it would have to.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bin, root } from "./packed.mjs";

const out = join(root, ".examples");
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
const sources = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const written = [];
for (const source of sources) {
  const text = readFileSync(join(root, source), "utf8");
  let index = 0;
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
    const line = text.slice(0, match.index).split("\n").length;
    // A document's blocks share a folder. A block's first comment may name the file
    // it stands for (// worker.ts): the blocks after it import it by that name.
    const named = /^\/\/ ([\w-]+)\.ts\b/.exec(match[1]);
    const group = join(out, source.replace(/[/.]/g, "_"));
    mkdirSync(group, { recursive: true });
    const file = named ? `${named[1]}.ts` : `example-${++index}.ts`;
    writeFileSync(join(group, file), `// ${source}:${line}\n${match[1]}\nexport {};\n`);
    written.push(`${source}:${line}`);
  }
}
writeFileSync(
  join(out, "tsconfig.json"),
  JSON.stringify({ extends: "../tsconfig.json", compilerOptions: { noUnusedLocals: false, paths: { "asyncio-ts": ["../src/index.ts"] } }, include: ["./**/*.ts", "../src/platform/*.d.ts"] }, null, 2),
);
try {
  execFileSync(bin("tsc"), ["-p", out, "--noEmit"], { stdio: "inherit" });
} catch {
  console.error("check-examples: an example in the docs does not compile (the file's first line says where it is)");
  process.exit(1);
}
console.log(`check-examples: ${written.length} examples in ${sources.length} documents compile`);
