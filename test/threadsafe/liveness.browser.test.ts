import { describe, expect, it } from "vitest";
import { onThreadEnd } from "../../src/threadsafe/liveness.js";
import { type Coro, sleep } from "../../src/index.js";
import { withWorkers } from "./fixtures/with-workers.js";

/** Polls `seen` for up to 5 s; whether it came true. */
function* becomes(seen: () => boolean): Coro<boolean> {
  for (let waited = 0; !seen() && waited < 5000; waited += 10) yield* sleep(10);
  return seen();
}

// Chromium's MessagePort does not tell of its other end's thread ending; a thread's
// Web Lock, released by the browser when the thread ends, does (see web-locks-liveness.ts).
describe("a browser thread's liveness token", { timeout: 30_000 }, () => {
  it("tells whoever watches it when its thread ends, and not before", async () => {
    await withWorkers(1, function* (worker) {
      const token = yield* worker.api.watchable();
      expect(token).toMatch(/^[a-z0-9]{8,40}$/);
      let ended = 0;
      onThreadEnd(token!, () => ended++);
      yield* sleep(200);
      expect(ended).toBe(0);
      worker.terminate();
      expect(yield* becomes(() => ended > 0)).toBe(true);
      yield* sleep(50);
      expect(ended).toBe(1);
    });
  });

  it("tells nothing to a watch stopped before the end", async () => {
    await withWorkers(2, function* (watched, witness) {
      const token = yield* watched.api.watchable();
      let ended = 0;
      const stop = onThreadEnd(token!, () => ended++);
      stop();
      // A second watch of the same thread sees the end; the stopped one still has not by then.
      let seen = false;
      onThreadEnd(token!, () => (seen = true));
      watched.terminate();
      expect(yield* becomes(() => seen)).toBe(true);
      yield* sleep(100);
      expect(ended).toBe(0);
      expect(yield* witness.api.watchable()).not.toBe(token);
    });
  });

  it("ignores a string that is not a token (another thread's input), and tells at once of one no live thread holds", async () => {
    await withWorkers(0, function* () {
      let forged = 0;
      for (const bad of ["", "UPPER-case", "a/b", "x".repeat(41), "short"]) onThreadEnd(bad, () => forged++);
      let gone = false;
      onThreadEnd("nobodyholdsthis1234", () => (gone = true));
      expect(yield* becomes(() => gone)).toBe(true);
      expect(forged).toBe(0);
    });
  });
});
