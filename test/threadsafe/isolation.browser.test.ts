import { describe, expect, inject, it } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    crossOriginIsolated: boolean;
  }
}

// The two browser projects differ in cross-origin isolation (vitest.config.ts).
describe("the page the browser tests run in", () => {
  it("is cross-origin isolated, with SharedArrayBuffer, exactly in the project that sends COOP/COEP", () => {
    const isolated = inject("crossOriginIsolated");
    expect(globalThis.crossOriginIsolated).toBe(isolated);
    expect(typeof SharedArrayBuffer !== "undefined").toBe(isolated);
  });
});
