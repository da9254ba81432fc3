import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bin, root } from "../../scripts/packed.mjs";
import { launchChromium } from "../support/chromium.js";
import { serveStatic } from "../support/static-server.js";

/**
 * The demo page (demo/web), built by Vite as `npm run demo` serves it, in Chromium:
 * tiles render, a zoom while they render cancels the old view's tiles in their
 * workers, the page keeps drawing frames, and a crashed worker is survived — in a
 * page with and without cross-origin isolation. Takes the README's screenshot.
 */
let browser: Browser;
let built: string;
beforeAll(async () => {
  built = mkdtempSync(join(tmpdir(), "asyncio-ts-demo-"));
  execFileSync(bin("vite"), ["build", "--config", "demo/web/vite.config.ts", "--outDir", built, "--logLevel", "warn"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  browser = await launchChromium();
}, 120_000); // a production build and a browser start: ~5 s here, far longer on a loaded machine
afterAll(async () => {
  await browser?.close();
  rmSync(built, { recursive: true, force: true });
}, 30_000);

const count = async (page: Page, id: string): Promise<number> => Number((await page.locator(`#${id}`).textContent()) ?? "NaN");

describe("the demo page", { timeout: 90_000 }, () => {
  for (const [isolated, sharedOff] of [
    [true, false],
    [true, true],
    [false, false],
  ] as const) {
    const backend = isolated && !sharedOff ? "shared" : "message";
    it(`renders tiles, cancels them in their workers on zoom, keeps its frames, survives a crash (${isolated ? "" : "not "}cross-origin isolated, ${backend} backend)`, async () => {
      const served = await serveStatic(built, { isolated });
      const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error" && !message.text().includes("crashed on purpose")) errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(String(error)));
      try {
        await page.goto(served.url);
        if (sharedOff) await page.click("#toggle-backend"); // the page's own switch: reloads with ?backend=message
        await expect.poll(() => page.locator("#backend").textContent(), { timeout: 10_000 }).toContain(isolated ? "is cross-origin isolated" : "is not cross-origin isolated");
        expect(await page.locator("#backend").textContent()).toContain(`on the ${backend} backend`);
        await expect.poll(() => count(page, "stat-finished"), { timeout: 30_000 }).toBeGreaterThanOrEqual(64); // the first view
        // Zoom, wait until the finished-tiles queue is nearly full while tiles of the
        // view are still in flight — the workers' tiles then wait in its put(), started
        // and holding their pixels, or compute — and zoom again: those are cancelled in
        // their workers, whose finally reports it. A view that finished first (nothing
        // left to cancel there) is tried again. (A tile cancelled before its worker
        // started it has nothing to let go.)
        const tilesWaitInWorkers = async (): Promise<boolean> => (await count(page, "stat-buffered")) >= 5 && (await count(page, "stat-inFlight")) > 0;
        for (let attempt = 0; attempt < 10 && (await count(page, "stat-cancelledInWorker")) === 0; attempt++) {
          const startedBefore = await count(page, "stat-started");
          await page.click("#view", { position: { x: 150 + attempt * 20, y: 256 } });
          await expect.poll(() => count(page, "stat-started"), { timeout: 10_000 }).toBeGreaterThan(startedBefore); // the panel shows the new view
          await expect.poll(async () => (await tilesWaitInWorkers()) || (await count(page, "stat-inFlight")) === 0, { timeout: 30_000 }).toBe(true);
          if (await tilesWaitInWorkers()) await page.click("#view", { position: { x: 256, y: 200 } });
          await expect.poll(() => count(page, "stat-inFlight"), { timeout: 30_000 }).toBe(0);
        }
        expect(await count(page, "stat-cancelledInWorker")).toBeGreaterThan(0);
        await expect.poll(() => page.locator("#stat-cancel-ms").textContent(), { timeout: 10_000 }).toMatch(/ms/);
        const frames = await count(page, "stat-fps");
        expect(frames).toBeGreaterThan(0); // the page thread kept drawing frames while workers were busy
        await expect.poll(() => count(page, "stat-inFlight"), { timeout: 30_000 }).toBe(0); // the last view finished
        // Crash a worker: the pool replaces it, and the next view still renders whole.
        const workers = await count(page, "stat-workers");
        await page.click("#crash");
        await expect.poll(() => count(page, "stat-crashes"), { timeout: 10_000 }).toBe(1);
        const before = await count(page, "stat-finished");
        await page.click("#zoom-out");
        await expect.poll(() => count(page, "stat-finished"), { timeout: 30_000 }).toBeGreaterThanOrEqual(before + 64 - (await count(page, "stat-timedOut")));
        await expect.poll(() => count(page, "stat-workers"), { timeout: 10_000 }).toBe(workers);
        // The README's picture: refreshed with UPDATE_SCREENSHOT=1, else kept out of the tree.
        if (backend === "shared") await page.screenshot({ path: join(root, process.env.UPDATE_SCREENSHOT === "1" ? "docs/demo.png" : ".vitest-attachments/demo.png") });
        expect(errors).toEqual([]);
      } finally {
        await page.close();
        await served.close();
      }
    });
  }
});
