import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Uses the built package (npm test builds first), in a process of its own.
const script = fileURLToPath(new URL("./fixtures/exits-when-done.mjs", import.meta.url));

describe("a Node process sharing thread-safe queues with a worker", { timeout: 30_000 }, () => {
  it("stays alive while it waits on another thread's queue, and exits by itself when done", async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      // Killed after 20 s: a process kept alive by an idle port would never exit by itself.
      const child = execFile(process.execPath, [script], { timeout: 20_000 }, (error, out) => resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout: out }));
      void child;
    });
    expect(stdout.split("\n").filter(Boolean)).toEqual(["hello", "done"]);
    expect(code).toBe(0);
  });
});
