import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  ExceptionGroup,
  RuntimeError,
  TaskGroup,
  TimeoutError,
  createTask,
  currentTask,
  sleep,
  taskGroup,
  timeout,
} from "../../src/index.js";
import { Log, caught, runV } from "../support/harness.js";

// Ported from CPython's Lib/test/test_asyncio/test_taskgroups.py.

function* value<T>(ms: number, result: T): Coro<T> {
  yield* sleep(ms);
  return result;
}

function* crashAfter(ms: number, error: Error = new RangeError(`crash after ${ms}`)): Coro<never> {
  yield* sleep(ms);
  throw error;
}

function errorTypes(group: unknown): Set<string> {
  expect(group).toBeInstanceOf(ExceptionGroup);
  return new Set((group as ExceptionGroup).exceptions.map((e) => (e as Error).name));
}

describe("TaskGroup", () => {
  it("waits for every child before it returns (taskgroup_01)", async () => {
    await runV(function* () {
      const [t1, t2] = yield* taskGroup(function* (g) {
        return [g.createTask(value(100, 42)), g.createTask(value(200, 11))] as const;
      });
      expect(t1.result()).toBe(42);
      expect(t2.result()).toBe(11);
    });
  });

  it("takes children while the body waits (taskgroup_02)", async () => {
    await runV(function* () {
      const tasks = yield* taskGroup(function* (g) {
        const t1 = g.createTask(value(100, 42));
        yield* sleep(150);
        return [t1, g.createTask(value(200, 11))];
      });
      expect(tasks.map((t) => t.result())).toEqual([42, 11]);
    });
  });

  it("takes children added while it waits in exit, from a running child", async () => {
    await runV(function* () {
      const results: number[] = [];
      yield* taskGroup(function* (g) {
        g.createTask(
          (function* (): Coro<void> {
            yield* sleep(10);
            const late = g.createTask(value(10, 2));
            results.push(1, yield* late);
          })(),
        );
      });
      expect(results).toEqual([1, 2]);
    });
  });

  it("keeps going when a child is cancelled on its own (taskgroup_03)", async () => {
    const [t1, t2] = await runV(function* () {
      return yield* taskGroup(function* (g) {
        const t1 = g.createTask(value(1000, 42));
        yield* sleep(150);
        t1.cancel();
        return [t1, g.createTask(value(200, 11))];
      });
    });
    expect(t1!.cancelled()).toBe(true);
    expect(t2!.result()).toBe(11);
  });

  it("cancels siblings and the body when a child fails, and groups the errors (taskgroup_04, cancel_children_on_child_error)", async () => {
    const log = new Log();
    await runV(function* () {
      let sibling: ReturnType<typeof createTask> | undefined;
      const error = yield* caught(
        taskGroup(function* (g) {
          g.createTask(crashAfter(100));
          g.createTask(crashAfter(100));
          sibling = g.createTask(
            (function* (): Coro<void> {
              try {
                yield* sleep(5000);
              } catch (e) {
                log.add(`sibling ${(e as Error).name}`);
                throw e;
              }
            })(),
          );
          try {
            yield* sleep(10_000);
          } catch (e) {
            log.add(`body ${(e as Error).name}`);
            throw e;
          }
          log.add("body not reached");
        }),
      );
      expect(errorTypes(error)).toEqual(new Set(["RangeError"]));
      expect((error as ExceptionGroup).exceptions).toHaveLength(2);
      expect(sibling!.cancelled()).toBe(true);
      // The group cancelled the parent only to stop the body: it took that back.
      expect(currentTask()!.cancelling()).toBe(0);
    });
    expect(log.events.sort()).toEqual(["body CancelledError", "sibling CancelledError"]);
  });

  it("does not keep the children it has finished, and still cancels every running one when a child fails", async () => {
    await runV(function* () {
      const group = new TaskGroup();
      const sleepers: ReturnType<typeof createTask>[] = [];
      const error = yield* caught(
        group.run(function* (g) {
          // A long-lived group: 5000 children, each done before the next starts,
          // with a long sleeper started every 500.
          for (let i = 0; i < 5000; i++) {
            if (i % 500 === 0) sleepers.push(g.createTask(sleep(60_000)));
            yield* g.createTask(value(0, i));
          }
          // What it holds is of the order of what runs, not of what it ran.
          expect((group as unknown as { children: unknown[] }).children.length).toBeLessThan(200);
          g.createTask(crashAfter(1));
          yield* sleep(60_000);
        }),
      );
      expect(errorTypes(error)).toEqual(new Set(["RangeError"]));
      expect(sleepers).toHaveLength(10);
      expect(sleepers.every((task) => task.cancelled())).toBe(true);
    });
  });

  it("comes out as a plain CancelledError with the message when the parent is cancelled (test_cancellation)", async () => {
    await runV(function* () {
      let cancelledChildren = 0;
      const runner = createTask(
        taskGroup(function* (g) {
          for (let i = 0; i < 5; i++) {
            g.createTask(
              (function* (): Coro<void> {
                try {
                  yield* sleep(5000);
                } catch (e) {
                  cancelledChildren++;
                  throw e;
                }
              })(),
            );
          }
        }),
      );
      yield* sleep(100);
      expect(runner.done()).toBe(false);
      runner.cancel("test");
      const error = yield* caught(runner);
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe("test");
      expect(cancelledChildren).toBe(5);
    });
  });

  it("prefers the outside cancellation over children that fail while cancelled (cancellation_in_body)", async () => {
    await runV(function* () {
      const runner = createTask(
        taskGroup(function* (g) {
          // They would crash just after the cancel below; the group cancels them first.
          for (let i = 0; i < 5; i++) g.createTask(crashAfter(150));
          yield* sleep(10_000);
        }),
      );
      yield* sleep(100);
      runner.cancel("test");
      const error = yield* caught(runner);
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe("test");
    });
  });

  it("cancels the children when the body fails, and reports the body's error (taskgroup_09, taskgroup_10)", async () => {
    await runV(function* () {
      const tasks: Array<ReturnType<typeof createTask>> = [];
      const error = yield* caught(
        taskGroup(function* (g) {
          tasks.push(g.createTask(value(1000, 42)), g.createTask(value(2000, 11)));
          yield* sleep(100);
          throw new TypeError("body failed");
        }),
      );
      expect(errorTypes(error)).toEqual(new Set(["TypeError"]));
      expect(tasks.every((t) => t.cancelled())).toBe(true);
    });
  });

  it("nests: an inner group's failure fails the outer one (taskgroup_13, taskgroup_14)", async () => {
    await runV(function* () {
      const outerFirst = yield* caught(
        taskGroup(function* (g1) {
          g1.createTask(crashAfter(100));
          yield* taskGroup(function* (g2) {
            g2.createTask(crashAfter(10_000));
          });
        }),
      );
      expect(errorTypes(outerFirst)).toEqual(new Set(["RangeError"]));

      const innerFirst = yield* caught(
        taskGroup(function* (g1) {
          g1.createTask(crashAfter(10_000));
          yield* taskGroup(function* (g2) {
            g2.createTask(crashAfter(100));
          });
        }),
      );
      expect(errorTypes(innerFirst)).toEqual(new Set(["ExceptionGroup"]));
      expect(errorTypes((innerFirst as ExceptionGroup).exceptions[0])).toEqual(new Set(["RangeError"]));
    });
  });

  it("reports a child that fails while the cancelled body cleans up (taskgroup_15, CPython 3.13+)", async () => {
    await runV(function* () {
      const runner = createTask(
        taskGroup(function* (g) {
          g.createTask(crashAfter(300));
          try {
            yield* sleep(10_000);
          } catch (e) {
            yield* sleep(500);
            throw e;
          }
        }),
      );
      yield* sleep(100);
      runner.cancel();
      expect(errorTypes(yield* caught(runner))).toEqual(new Set(["RangeError"]));
    });
  });

  it("propagates CancelledError when the cancelled body's cleanup waits and no child fails (taskgroup_17)", async () => {
    await runV(function* () {
      const log = new Log();
      const runner = createTask(
        taskGroup(function* (g) {
          g.createTask(sleep(10_000));
          try {
            yield* sleep(10_000);
          } catch (e) {
            yield* sleep(500);
            log.add("cleanup done");
            throw e;
          }
        }),
      );
      yield* sleep(100);
      runner.cancel();
      expect(yield* caught(runner)).toBeInstanceOf(CancelledError);
      expect(log.events).toEqual(["cleanup done"]);
    });
  });

  it("groups an error the body raised while being cancelled (taskgroup_18)", async () => {
    await runV(function* () {
      const runner = createTask(
        taskGroup(function* () {
          try {
            yield* sleep(10_000);
          } catch {
            throw new SyntaxError("raised instead of the cancellation");
          }
        }),
      );
      yield* sleep(100);
      runner.cancel();
      expect(errorTypes(yield* caught(runner))).toEqual(new Set(["SyntaxError"]));
    });
  });

  it("groups a child's error with the error a nested call raised in its finally (taskgroup_19)", async () => {
    await runV(function* () {
      function* nested(): Coro<void> {
        try {
          yield* sleep(10_000);
        } finally {
          throw new EvalError("from finally");
        }
      }
      const error = yield* caught(
        taskGroup(function* (g) {
          g.createTask(crashAfter(100));
          yield* nested();
        }),
      );
      expect(errorTypes(error)).toEqual(new Set(["EvalError", "RangeError"]));
    });
  });

  it("composes with timeout: a failing child inside a timeout scope gives an ExceptionGroup, an expiring scope a TimeoutError", async () => {
    await runV(function* () {
      const timedOut = yield* caught(
        timeout(
          50,
          taskGroup(function* (g) {
            g.createTask(sleep(1000));
          }),
        ),
      );
      expect(timedOut).toBeInstanceOf(TimeoutError);
      const failed = yield* caught(
        timeout(
          500,
          taskGroup(function* (g) {
            g.createTask(crashAfter(10));
            g.createTask(sleep(1000));
          }),
        ),
      );
      expect(failed).toBeInstanceOf(ExceptionGroup);
      expect(currentTask()!.cancelling()).toBe(0);
    });
  });

  it("closes a coroutine it refuses, so that it can never run", async () => {
    const log = new Log();
    await runV(function* () {
      const group = new TaskGroup();
      function* neverRuns(): Coro<void> {
        log.add("ran");
        yield* sleep(1);
      }
      const refused = neverRuns();
      expect(() => group.createTask(refused)).toThrow(/^TaskGroup .* has not been entered/);
      expect(refused.next()).toEqual({ done: true, value: undefined }); // closed: nothing left to run
      yield* group.run(function* () {});
      const late = neverRuns();
      expect(() => group.createTask(late)).toThrow(/is finished/);
      expect(late.next().done).toBe(true);
    });
    expect(log.events).toEqual([]);
  });

  it("refuses new tasks once finished, before being entered, and while shutting down", async () => {
    await runV(function* () {
      const group = new TaskGroup();
      expect(() => group.createTask(sleep(1))).toThrow(/has not been entered/);
      yield* group.run(function* () {});
      expect(() => group.createTask(sleep(1))).toThrow(/is finished/);
      expect(() => group.run(function* () {}).next()).toThrow(/already been entered/);

      const error = yield* caught(
        taskGroup(function* (g) {
          g.createTask(crashAfter(1));
          try {
            yield* sleep(100);
          } finally {
            expect(() => g.createTask(sleep(1))).toThrow(/shutting down/);
          }
        }),
      );
      expect(error).toBeInstanceOf(ExceptionGroup);
    });
  });

  it("refuses a body that is not a generator function", () => {
    expect(() => taskGroup(sleep(1) as never)).toThrow(/generator function that receives the group/);
    expect(() => new TaskGroup().run(5 as never)).toThrow(TypeError);
  });

  it("reports an eager child's failure at the body's next wait, not inside createTask", async () => {
    const log = new Log();
    await runV(function* () {
      const error = yield* caught(
        taskGroup(function* (g) {
          g.createTask(
            (function* (): Coro<void> {
              throw new URIError("eager failure");
            })(),
            { eager: true },
          );
          log.add("body continues after createTask");
          yield* sleep(100);
          log.add("not reached");
        }),
      );
      expect(errorTypes(error)).toEqual(new Set(["URIError"]));
    });
    expect(log.events).toEqual(["body continues after createTask"]);
  });

  describe("cancel() (asyncio 3.15)", () => {
    it("cancels the children and the body's wait, and ends the group without an error", async () => {
      const log = new Log();
      await runV(function* () {
        const loop = currentTask()!.getLoop();
        let slow: ReturnType<TaskGroup["createTask"]> | undefined;
        const result = yield* taskGroup(function* (g) {
          slow = g.createTask(value(1000, "slow"));
          yield* sleep(10);
          g.cancel();
          log.add(`body goes on until its next wait, at ${loop.time()}`);
          yield* sleep(1000);
          log.add("not reached");
          return "body result";
        });
        log.add(`group returned ${result} at ${loop.time()}`);
        expect(slow!.cancelled()).toBe(true);
        expect(currentTask()!.cancelling()).toBe(0);
        yield* sleep(1); // the task is not left cancelled
        log.add("the task goes on");
      });
      expect(log.events).toEqual(["body goes on until its next wait, at 10", "group returned undefined at 10", "the task goes on"]);
    });

    it("lets a child end the group: the first answer wins and the others are cancelled", async () => {
      await runV(function* () {
        let winner: string | undefined;
        const tasks = yield* taskGroup(function* (g) {
          return [300, 100, 200].map((ms) =>
            g.createTask(
              (function* (): Coro<void> {
                winner ??= yield* value(ms, `mirror ${ms}`);
                g.cancel();
              })(),
            ),
          );
        });
        expect(winner).toBe("mirror 100");
        // The winner is cancelled too, as it returns: cancel() reaches every child not done (as asyncio's does).
        expect(tasks.every((t) => t.cancelled())).toBe(true);
        expect(currentTask()!.getLoop().time()).toBe(100);
      });
    });

    it("still waits for children cleaning up, and still reports the ones that fail doing so", async () => {
      await runV(function* () {
        const loop = currentTask()!.getLoop();
        const error = yield* caught(
          taskGroup(function* (g) {
            g.createTask(
              (function* (): Coro<void> {
                try {
                  yield* sleep(1000);
                } finally {
                  yield* sleep(50);
                  throw new RangeError("failed while cleaning up");
                }
              })(),
            );
            yield* sleep(10);
            g.cancel();
          }),
        );
        expect(errorTypes(error)).toEqual(new Set(["RangeError"]));
        expect(loop.time()).toBe(60);
      });
    });

    it("keeps a cancellation from outside: a timeout around a cancelled group still expires (gh-155433)", async () => {
      await runV(function* () {
        const error = yield* caught(
          timeout(50, () =>
            taskGroup(function* (g) {
              g.createTask(
                (function* (): Coro<void> {
                  try {
                    yield* sleep(3_600_000);
                  } finally {
                    yield* sleep(1000); // still cleaning up when the deadline comes
                  }
                })(),
              );
              yield* sleep(10);
              g.cancel();
            }),
          ),
        );
        expect(error).toBeInstanceOf(TimeoutError);
        expect(currentTask()!.cancelling()).toBe(0);
      });
    });

    it("cancels the group on entry when called before, and does nothing once the group has finished", async () => {
      const log = new Log();
      await runV(function* () {
        const group = new TaskGroup();
        group.cancel();
        yield* group.run(function* () {
          try {
            yield* sleep(1000);
          } catch (error) {
            log.add(`body: ${(error as Error).name}`);
            throw error;
          }
        });
        log.add("group ended without an error");
        group.cancel();
        group.cancel();
        yield* sleep(1); // nothing was cancelled: the task goes on
        log.add("the task goes on");
      });
      expect(log.events).toEqual(["body: CancelledError", "group ended without an error", "the task goes on"]);
    });

    it("refuses new children once cancelled, as a group shutting down does", async () => {
      await runV(function* () {
        yield* taskGroup(function* (g) {
          g.cancel();
          g.cancel(); // twice is once
          expect(() => g.createTask(sleep(1))).toThrow(/shutting down/);
        });
      });
    });
  });

  it("must run inside a task", () => {
    const group = new TaskGroup();
    expect(() => group.run(function* () {}).next()).toThrow(RuntimeError);
  });
});
