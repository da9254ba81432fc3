import { playwright } from "@vitest/browser-playwright";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
// Registers tsx in the test process so worker_threads Workers can load .ts modules.
const tsxPreload = fileURLToPath(new URL("./test/support/tsx-register.mjs", import.meta.url));

import { chromiumArgs, chromiumPath } from "./test/support/chromium.js";
// Cross-origin isolation gives pages and workers SharedArrayBuffer.
const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.test.ts", "test/**/*.node.test.ts"],
          exclude: ["test/**/*.browser.test.ts"],
          // --expose-gc: a test collects garbage on purpose (the never-awaited warning).
          execArgv: ["--import", tsxPreload, "--expose-gc"],
        },
      },
      {
        server: { headers: isolation },
        test: {
          name: "browser",
          provide: { crossOriginIsolated: true },
          include: ["test/**/*.test.ts", "test/**/*.browser.test.ts"],
          exclude: ["test/**/*.node.test.ts"],
          globalSetup: ["test/support/websocket-server.ts"],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: "chromium" }],
          },
        },
      },
      {
        // A page that is not cross-origin isolated (no SharedArrayBuffer): the
        // thread-safe layer must work there too, on its message backend.
        test: {
          name: "browser-not-isolated",
          provide: { crossOriginIsolated: false },
          include: ["test/threadsafe/**/*.test.ts", "test/threadsafe/**/*.browser.test.ts"],
          // lock-word: unit tests of a shared-memory structure, which such a page cannot have.
          exclude: ["test/**/*.node.test.ts", "test/threadsafe/lock-word.test.ts"],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: "chromium", name: "chromium-not-isolated" }],
          },
        },
      },
    ],
  },
});
