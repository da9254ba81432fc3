import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright";
import webpack from "webpack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bin, projectWithPackage, root } from "../../scripts/packed.mjs";
import { launchChromium } from "../support/chromium.js";
import { serveStatic } from "../support/static-server.js";

/**
 * The web-app recipes of docs/web-apps.md, the way a user ships them: the packed
 * package installed into a fresh app, built by a real bundler (or served as is),
 * run in Chromium. Each app makes its worker with
 * `new Worker(new URL("./worker.js", import.meta.url), { type: "module" })`,
 * starts a job from a button, cancels it from another (the worker's `finally`
 * runs), and keeps serving.
 */
const appSource = join(root, "test/e2e/web-app");

const recipes: Record<string, (dir: string) => string | Promise<string>> = {
  vite(dir) {
    writeFileSync(join(dir, "vite.config.mjs"), 'export default { base: "./", logLevel: "warn", worker: { format: "es" } };\n');
    execFileSync(bin("vite"), ["build"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    return join(dir, "dist");
  },
  esbuild(dir) {
    // The worker is a second entry point, written beside the page's script.
    execFileSync(bin("esbuild"), ["main.js", "worker.js", "--bundle", "--minify", "--format=esm", "--outdir=dist", "--log-level=warning"], { cwd: dir, stdio: "inherit" });
    cpSync(join(dir, "index.html"), join(dir, "dist/index.html"));
    return join(dir, "dist");
  },
  async webpack(dir) {
    const stats = await new Promise<import("webpack").Stats>((resolve, reject) =>
      webpack({ context: dir, mode: "production", entry: "./main.js", output: { path: join(dir, "dist"), publicPath: "auto" }, devtool: false }, (error, result) =>
        error || !result ? reject(error) : resolve(result),
      ),
    );
    if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
    cpSync(join(dir, "index.html"), join(dir, "dist/index.html"));
    return join(dir, "dist");
  },
  "plain <script type=module>"(dir) {
    // No bundler: modules import the package's browser build by path (a module
    // worker does not see the page's import map).
    for (const file of ["main.js", "worker.js"]) {
      const path = join(dir, file);
      writeFileSync(path, readFileSync(path, "utf8").replace('from "asyncio-ts"', 'from "./node_modules/asyncio-ts/dist/browser/index.mjs"'));
    }
    return dir;
  },
};

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000); // a browser start: under a second here, longer on a loaded machine
afterAll(async () => {
  await browser?.close();
}, 30_000);

describe("web apps built from the packed package", { timeout: 90_000 }, () => {
  for (const [recipe, build] of Object.entries(recipes)) {
    it(`${recipe}: starts the worker, cancels a job from a button (the worker's finally runs), and keeps serving`, async () => {
      const dir = projectWithPackage(`web-app-${recipe.split(" ")[0]}`);
      cpSync(appSource, dir, { recursive: true });
      const served = await serveStatic(await build(dir));
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(String(error)));
      const text = (id: string) => page.locator(`#${id}`);
      try {
        await page.goto(served.url);
        await expect.poll(() => text("status").textContent(), { timeout: 20_000 }).toBe("ready");
        await page.click("#start");
        await expect.poll(async () => Number(await text("progress").textContent()), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
        await page.click("#cancel");
        await expect.poll(() => text("status").textContent(), { timeout: 20_000 }).toBe("cancelled");
        await expect.poll(() => text("cleanups").textContent(), { timeout: 20_000 }).toBe("1");
        await page.click("#quick");
        await expect.poll(() => text("quick-result").textContent(), { timeout: 20_000 }).toBe("done after 3 steps");
        expect(errors).toEqual([]);
      } finally {
        await page.close();
        await served.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
