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

export default [
  {
    input: "src/index.ts",
    external,
    plugins: [platform("node"), inlineComlinkAdapter, typescript(typescriptOptions)],
    output: [
      { file: "dist/node/index.mjs", format: "es", sourcemap: true },
      { file: "dist/node/index.cjs", format: "cjs", sourcemap: true, exports: "named" },
    ],
  },
  {
    input: "src/index.ts",
    external,
    plugins: [platform("browser"), typescript(typescriptOptions)],
    output: { file: "dist/browser/index.mjs", format: "es", sourcemap: true },
  },
  {
    input: "src/index.ts",
    external,
    plugins: [platform("node"), dts({ tsconfig: "./tsconfig.json" })],
    output: [{ file: "dist/index.d.mts", format: "es" }, { file: "dist/index.d.cts", format: "es" }],
  },
];
