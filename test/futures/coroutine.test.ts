import { describe, expect, it } from "vitest";
import { CancelledError, type Coro, createTask, isCoroutine, run, sleep } from "../../src/index.js";

/** A coroutine written by hand: an object with a generator's methods, counting how it is driven. */
function handWritten(inner: Coro<number>): Coro<number> & { calls: string[] } {
  const calls: string[] = [];
  const coro = {
    calls,
    next(value?: unknown) {
      calls.push("next");
      return inner.next(value);
    },
    throw(error: unknown) {
      calls.push("throw");
      return inner.throw(error);
    },
    return(value: number) {
      calls.push("return");
      return inner.return(value);
    },
    [Symbol.iterator]() {
      return coro;
    },
  };
  return coro as unknown as Coro<number> & { calls: string[] };
}

describe("isCoroutine", () => {
  it("recognises every kind of generator object, and objects written with a generator's methods", () => {
    function* shared(): Coro<number> {
      return 1;
    }
    class Worker {
      *work(): Coro<number> {
        return 2;
      }
    }
    const literal = {
      *method(): Coro<number> {
        return 3;
      },
    };
    const closures = Array.from({ length: 3 }, (_, i) => (function* (): Coro<number> {
      return i;
    })());
    for (const coro of [shared(), new Worker().work(), literal.method(), ...closures, sleep(0), handWritten(shared())]) {
      expect(isCoroutine(coro)).toBe(true);
    }
  });

  it("refuses what is not a coroutine: a generator function, an async generator, iterables and promises", () => {
    function* gen(): Coro<number> {
      return 1;
    }
    async function* agen(): AsyncGenerator<number> {
      yield 1;
    }
    for (const value of [gen, agen(), [1, 2], new Set([1]), "text", Promise.resolve(1), null, undefined, 42, { next() {} }]) {
      expect(isCoroutine(value)).toBe(false);
    }
  });
});

describe("a task drives its coroutine through the coroutine's own methods", () => {
  it("runs a hand-written coroutine with its next, and cancels it through its throw", async () => {
    const [result, resultCalls, cancelled, cancelCalls] = await run(function* main(): Coro<[number, string[], boolean, string[]]> {
      const done = handWritten((function* (): Coro<number> {
        yield* sleep(1);
        return 7;
      })());
      const result = yield* createTask(done);
      const waiting = handWritten((function* (): Coro<number> {
        yield* sleep(1000);
        return 0;
      })());
      const task = createTask(waiting);
      yield* sleep(0);
      task.cancel();
      let cancelled = false;
      try {
        yield* task;
      } catch (error) {
        cancelled = error instanceof CancelledError;
      }
      return [result, done.calls, cancelled, waiting.calls];
    }());
    expect(result).toBe(7);
    expect(resultCalls).toEqual(["next", "next"]);
    expect(cancelled).toBe(true);
    expect(cancelCalls).toEqual(["next", "throw"]);
  });

  it("uses a next set on a generator object itself", async () => {
    const seen: unknown[] = [];
    const result = await run(function* main(): Coro<number> {
      const coro = (function* (): Coro<number> {
        const sent = yield* sleep(0, 5);
        return sent * 2;
      })();
      const original = coro.next.bind(coro);
      coro.next = (value?: unknown) => {
        seen.push(value);
        return original(value);
      };
      return yield* createTask(coro);
    }());
    expect(result).toBe(10);
    expect(seen).toEqual([undefined, undefined]);
  });

  it("uses a next and a throw set on the generator function's prototype", async () => {
    const seen: string[] = [];
    function* slow(): Coro<number> {
      yield* sleep(1000);
      return 1;
    }
    const generatorMethods = Object.getPrototypeOf(slow.prototype) as Coro<number>;
    Object.assign(slow.prototype, {
      next(this: Coro<number>, value?: unknown) {
        seen.push("next");
        return generatorMethods.next.call(this, value);
      },
      throw(this: Coro<number>, error: unknown) {
        seen.push("throw");
        return generatorMethods.throw.call(this, error);
      },
    });
    const outcome = await run(function* main(): Coro<string> {
      const task = createTask(slow());
      yield* sleep(0);
      task.cancel();
      try {
        yield* task;
        return "finished";
      } catch (error) {
        return error instanceof CancelledError ? "cancelled" : "failed";
      }
    }());
    expect(outcome).toBe("cancelled");
    expect(seen).toEqual(["next", "throw"]);
  });

  it("uses a throw set on a generator object itself when it is cancelled", async () => {
    const thrown: unknown[] = [];
    const outcome = await run(function* main(): Coro<string> {
      const coro = (function* (): Coro<string> {
        yield* sleep(1000);
        return "finished";
      })();
      const original = coro.throw.bind(coro);
      coro.throw = (error: unknown) => {
        thrown.push(error);
        return original(error);
      };
      const task = createTask(coro);
      yield* sleep(0);
      task.cancel();
      try {
        return yield* task;
      } catch (error) {
        return error instanceof CancelledError ? "cancelled" : "failed";
      }
    }());
    expect(outcome).toBe("cancelled");
    expect(thrown).toHaveLength(1);
    expect(thrown[0]).toBeInstanceOf(CancelledError);
  });

  it("goes through Generator.prototype's next when it is replaced", async () => {
    function* worker(): Coro<number> {
      yield* sleep(0);
      return 3;
    }
    const generatorMethods = Object.getPrototypeOf(worker.prototype) as Coro<number>;
    const original = generatorMethods.next;
    const driven = worker();
    let calls = 0;
    // A wrapper that behaves exactly as the original, for every generator in the process.
    generatorMethods.next = function (this: Coro<number>, value?: unknown) {
      if (this === driven) calls++;
      return original.call(this, value);
    };
    try {
      expect(await run(driven)).toBe(3);
    } finally {
      generatorMethods.next = original;
    }
    expect(calls).toBe(2);
  });
});
