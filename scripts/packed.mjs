// The package as users get it: `npm pack` of the built tree, installed into a
// fresh project. Every check of the package (imports, types, bundlers, sizes)
// starts here rather than from the source tree.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
const packDir = join(root, ".pack");

/** Packs the built package once per call into .pack/ and returns the tarball's path. */
export function packTarball() {
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir);
  const [info] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  return { tarball: join(packDir, info.filename), files: info.files.map((file) => file.path) };
}

/** The tarball packed last (packing first if there is none). */
export function tarball() {
  const found = existsSync(packDir) ? readdirSync(packDir).find((name) => name.endsWith(".tgz")) : undefined;
  return found ? join(packDir, found) : packTarball().tarball;
}

/**
 * A new project folder with the packed package installed (it has no runtime
 * dependencies, so this needs no registry), `files` written into it, and
 * `node_modules/.bin` tools of this repository reachable by path.
 */
export function projectWithPackage(name, files = {}, packageJson = { type: "module" }) {
  const dir = mkdtempSync(join(tmpdir(), `asyncio-ts-${name}-`));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, ...packageJson }, null, 2));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-save", tarball()], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Copies a folder of this repository into a project. */
export function copyInto(dir, from, to = ".") {
  cpSync(join(root, from), join(dir, to), { recursive: true });
}

/** A tool of this repository's node_modules/.bin. */
export const bin = (tool) => join(root, "node_modules", ".bin", tool);
