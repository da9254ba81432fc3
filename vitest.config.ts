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

// A test's time limit only catches a hang: no test passes by finishing in time. The
// default 5 s was too little for the CPU-bound property tests (1000 random programs
// each) on a loaded machine; one that ran out left its run() going under the next test.
const limits = { testTimeout: 30_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          ...limits,
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
          ...limits,
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
          ...limits,
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
