import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { type Coro, EventLoop, type Future, createTask, getRunningLoop, run, sleep, startLoop } from "../../src/index.js";

// A loop made with `asyncContext: true` runs each task in the AsyncLocalStorage
// stores where the task was made, as asyncio runs each task in its contextvars.

const requests = new AsyncLocalStorage<{ id: number }>();
const seen = (): number | undefined => requests.getStore()?.id;

describe("tasks and AsyncLocalStorage, on a loop made with asyncContext", () => {
  it("keeps each task in the store of the request that made it, whoever wakes it", async () => {
    const log: string[] = [];
    const loop = startLoop({ asyncContext: true });
    try {
      const gates: Future<void>[] = [loop.createFuture(), loop.createFuture()];
      function* handler(id: number): Coro<void> {
        log.push(`request ${id} starts in ${seen()}`);
        yield* gates[id - 1]!;
        log.push(`request ${id} woken, in ${seen()}`);
        yield* sleep(1);
        log.push(`request ${id} after a sleep, in ${seen()}`);
      }
      const tasks = [1, 2].map((id) => requests.run({ id }, () => loop.createTask(handler(id))));
      // Request 2's task is woken from request 1's context and the other way round.
      requests.run({ id: 1 }, () => gates[1]!.setResult());
      requests.run({ id: 2 }, () => gates[0]!.setResult());
      await Promise.all(tasks);
    } finally {
      loop.stop();
      await new Promise((resolve) => setTimeout(resolve, 0));
      loop.close();
    }
    expect(log.sort()).toEqual([
      "request 1 after a sleep, in 1",
      "request 1 starts in 1",
      "request 1 woken, in 1",
      "request 2 after a sleep, in 2",
      "request 2 starts in 2",
      "request 2 woken, in 2",
    ]);
  });

  it("gives a child task the context current where it is made, and keeps a store set in a task to that task", async () => {
    const log: string[] = [];
    await requests.run({ id: 1 }, () =>
      run(
        (function* (): Coro<void> {
          const inherits = createTask(
            (function* (): Coro<void> {
              yield* sleep(1);
              log.push(`child made plainly sees ${seen()}`);
            })(),
          );
          const own = requests.run({ id: 2 }, () =>
            createTask(
              (function* (): Coro<void> {
                yield* sleep(1);
                log.push(`child made in another store sees ${seen()}`);
              })(),
            ),
          );
          const setsItsOwn = createTask(
            (function* (): Coro<void> {
              requests.enterWith({ id: 3 });
              yield* sleep(2);
              log.push(`child that set a store sees ${seen()}`);
            })(),
          );
          yield* inherits;
          yield* own;
          yield* setsItsOwn;
          log.push(`parent still sees ${seen()}`);
        })(),
        { asyncContext: true },
      ),
    );
    expect(log).toEqual(["child made plainly sees 1", "child made in another store sees 2", "child that set a store sees 3", "parent still sees 1"]);
  });

  it("keeps an async-function task in its context too", async () => {
    const ids = await run(
      (function* (): Coro<number[]> {
        const task = requests.run({ id: 7 }, () =>
          createTask(async () => {
            const before = seen()!;
            await sleep(1);
            return [before, seen()!];
          }),
        );
        return yield* task;
      })(),
      { asyncContext: true },
    );
    expect(ids).toEqual([7, 7]);
  });

  it("runs a callSoon/callLater/callAt callback in the context it was scheduled in, from a task or from outside", async () => {
    const log: string[] = [];
    const reported: string[] = [];
    const loop = startLoop({ asyncContext: true });
    try {
      loop.setExceptionHandler((_loop, context) => void reported.push(context.message));
      const done = loop.createFuture<void>();
      requests.run({ id: 1 }, () => loop.callSoon(() => log.push(`callSoon sees ${seen()}`)));
      requests.run({ id: 2 }, () => loop.callLater(2, () => log.push(`callLater sees ${seen()}`)));
      requests.run({ id: 3 }, () =>
        loop.createTask(
          (function* (): Coro<void> {
            loop.callAt(loop.time() + 1, () => log.push(`callAt from a task sees ${seen()}`));
            yield* sleep(5);
            done.setResult();
          })(),
        ),
      );
      requests.run({ id: 4 }, () =>
        loop.callSoon(function namedCallback(): void {
          throw new Error("fails on purpose");
        }),
      );
      await done;
    } finally {
      loop.stop();
      await new Promise((resolve) => setTimeout(resolve, 0));
      loop.close();
    }
    expect(log.sort()).toEqual(["callAt from a task sees 3", "callLater sees 2", "callSoon sees 1"]);
    // The loop's messages still name the callback.
    expect(reported).toEqual([expect.stringContaining("namedCallback")]);
  });

  it("refuses an asyncContext that is not a boolean", () => {
    expect(() => new EventLoop({ asyncContext: "yes" as never })).toThrow(/asyncContext expects true or false, got the string "yes"/);
    expect(() => new EventLoop(null as never)).toThrow(/EventLoop options are an object .*, got null/);
    expect(() => getRunningLoop()).toThrow(); // nothing was left running
  });
});
