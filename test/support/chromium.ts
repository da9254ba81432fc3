import { type Browser, chromium } from "playwright";

/** Debian's chromium binary (the /usr/bin/chromium wrapper is a shell script); the same flags as vitest.config.ts. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/lib/chromium/chromium";
export const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
  // Lets a test collect garbage on purpose (the never-awaited warning comes from a FinalizationRegistry).
  "--js-flags=--expose-gc",
];

/** A headless Chromium, driven by Playwright outside vitest's browser mode. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
}
