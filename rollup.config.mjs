import { nodeResolve } from "@rollup/plugin-node-resolve";
import typescript from "@rollup/plugin-typescript";
import { dts } from "rollup-plugin-dts";
import { fileURLToPath } from "node:url";

/**
 * Resolves the package's `#platform` and `#sockets` imports to the host's
 * implementation, as package.json `imports` does for the sources: the only
 * platform switch of the build.
 */
function platform(name) {
  const files = {
    "#platform": fileURLToPath(new URL(`./src/platform/${name}.ts`, import.meta.url)),
    "#sockets": fileURLToPath(new URL(name === "node" ? "./src/streams/transports/node-socket.ts" : "./src/streams/transports/no-sockets.ts", import.meta.url)),
  };
  return {
    name: `platform-${name}`,
    resolveId(source) {
      return files[source] ?? null;
    },
  };
}

const typescriptOptions = { tsconfig: "./tsconfig.json", noEmit: false, declaration: false, sourceMap: true, removeComments: true, include: ["src/**/*.ts"] };
// comlink's Node adapter is inlined: a CJS require of its .mjs would give a
// namespace object, not the function. Everything else from outside stays external.
const external = (id) => id.startsWith("node:") || (id === "comlink");
const inlineComlinkAdapter = nodeResolve({ resolveOnly: ["comlink"] });

/**
 * The browser's ES modules keep one file per source module, so that with
 * `"sideEffects"` in package.json a bundler drops every module an app does not
 * reach: the package tree-shakes by file, not only by what a minifier can prove
 * pure inside one big file.
 */
const perModule = (dir) => ({
  dir,
  format: "es",
  sourcemap: true,
  preserveModules: true,
  preserveModulesRoot: "src",
  // Inlined code from other packages (comlink's Node adapter, tslib's helpers) would
  // land under node_modules/, which npm leaves out of a package.
  entryFileNames: (chunk) => {
    const vendored = chunk.facadeModuleId?.match(/node_modules\/([^/]+)\/(?:.*\/)?([^/]+?)(?:\.es6)?\.m?js$/);
    return vendored ? `vendor/${vendored[1]}-${vendored[2]}.mjs` : "[name].mjs";
  },
});

/**
 * Node loads the package itself, in every process and every worker it starts, and
 * its ES module loader pays for each file: the ~100 files of a per-module build took
 * 75-85 ms to import here, one file 21-30 ms. So Node's builds, ESM and CJS, are one
 * file each; an app bundled for Node (rarely size-bound) still gets the statement-
 * level tree-shaking every bundler does inside a file.
 */
const singleFile = (file, format) => ({ file, format, sourcemap: true, ...(format === "cjs" ? { exports: "named" } : {}) });

export default [
  {
    input: "src/index.ts",
    external,
    plugins: [platform("node"), inlineComlinkAdapter, typescript(typescriptOptions)],
    output: [singleFile("dist/node/index.mjs", "es"), singleFile("dist/node/index.cjs", "cjs")],
  },
  {
    input: "src/index.ts",
    external,
    plugins: [platform("browser"), typescript(typescriptOptions)],
    output: perModule("dist/browser"),
  },
  // Declarations per platform: Node's name node:tls types (and need no DOM library),
  // the browser's need no @types/node.
  {
    input: "src/index.ts",
    external,
    plugins: [platform("node"), dts({ tsconfig: "./tsconfig.json" })],
    output: [{ file: "dist/node/index.d.mts", format: "es" }, { file: "dist/node/index.d.cts", format: "es" }],
  },
  {
    input: "src/index.ts",
    external,
    plugins: [platform("browser"), dts({ tsconfig: "./tsconfig.json" })],
    output: { file: "dist/browser/index.d.mts", format: "es" },
  },
];
