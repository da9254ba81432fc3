import { describe, expect, it } from "vitest";
import { CancelledError, type Coro, createTask, sleep } from "../../src/index.js";
import { runV } from "../support/harness.js";

/** The CancelledError a waiting task gets when it is cancelled with `message`. */
function* cancelOneWaiter(message: string): Coro<unknown> {
  const task = createTask(sleep(1000));
  yield* sleep(0);
  task.cancel(message);
  try {
    yield* task;
  } catch (error) {
    return error;
  }
  return null;
}

// In this order: once a loop of the thread was in debug mode, every later error keeps its trace.
describe("the CancelledError a cancellation makes", () => {
  it("carries its message but no stack trace of the loop's internals outside debug mode", async () => {
    const error = await runV(() => cancelOneWaiter("stop now"));
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe("stop now");
    expect((error as Error).stack).toBe("CancelledError: stop now");
  });

  it("keeps its stack trace in debug mode", async () => {
    const error = await runV(() => cancelOneWaiter("stop now"), { debug: true });
    expect((error as Error).stack).toMatch(/^CancelledError: stop now\n\s+at /);
  });

  it("leaves a CancelledError the user makes as it is", async () => {
    expect(new CancelledError("mine").stack).toMatch(/\n\s+at /);
  });
});
