import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CancelledError, type Coro, ExceptionGroup, type Task, type TaskBody, TaskGroup, type TaskOptions, ValueError, createTask, sleep, timeout } from "../../src/index.js";
import { nameOf, runLogged } from "../support/program-log.js";
import { ReferenceTaskGroup } from "./reference-task-group.js";

/**
 * TaskGroup against a line-for-line port of CPython's (reference-task-group.ts, its
 * main branch with `TaskGroup.cancel()`), on the same loop and tasks. A group's
 * children sleep and then return, fail, or swallow a cancellation, maybe cleaning
 * up with a wait of their own; some start eagerly, some cancel the group or start a
 * sibling once they wake (then maybe wait again). The body starts them (the last one maybe after a wait),
 * then waits, returns, fails or cancels the group, and may swallow a cancellation.
 * Around it: a group cancelled before it is entered, a `timeout()` scope, and
 * cancels of the task running the group at random times. Both must log the same
 * events at the same loop times: how every child and the body ended, what each
 * `createTask` did, what came out of the group and of its task, and how many
 * cancellation requests that task still counts.
 */
interface GroupChild {
  /** How long it waits first; `null`: not at all (an eager child then runs inside `createTask`). */
  sleep: number | null;
  end: "value" | "error" | "swallow";
  eager: boolean;
  cleanup: boolean;
  cancelsGroup: boolean;
  startsSibling: boolean;
  /** After it cancelled the group or started a sibling, it waits once more. */
  waitsAfter: boolean;
}
interface Scenario {
  children: GroupChild[];
  lastAfter: number | null;
  body: { sleep: number; then: "return" | "throw" | "cancel group"; swallow: boolean; cleanup: boolean };
  cancelBeforeEnter: boolean;
  scope: number | null;
  outerCancels: number[];
  cancelAfterExit: boolean;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  children: fc.array(
    fc.record({
      sleep: fc.constantFrom(null, 0, 1, 2, 4),
      end: fc.constantFrom("value" as const, "error" as const, "swallow" as const),
      eager: fc.boolean(),
      cleanup: fc.boolean(),
      cancelsGroup: fc.boolean(),
      startsSibling: fc.boolean(),
      waitsAfter: fc.boolean(),
    }),
    { maxLength: 4 },
  ),
  lastAfter: fc.option(fc.constantFrom(0, 1, 3)),
  body: fc.record({ sleep: fc.constantFrom(0, 1, 3, 6), then: fc.constantFrom("return" as const, "throw" as const, "cancel group" as const), swallow: fc.boolean(), cleanup: fc.boolean() }),
  cancelBeforeEnter: fc.boolean(),
  scope: fc.option(fc.constantFrom(0, 1, 2, 5)),
  outerCancels: fc.array(fc.constantFrom(0, 1, 2, 3, 5), { maxLength: 2 }),
  cancelAfterExit: fc.boolean(),
});

/** What both implementations offer. */
interface Group {
  run<T>(body: (group: Group) => Coro<T>): Coro<T>;
  createTask<T>(body: TaskBody<T>, options?: TaskOptions): Task<T>;
  cancel(): void;
}

/** An error as the log shows it; a group with what it holds, in order. */
function describeError(error: unknown): string {
  if (error instanceof ExceptionGroup) return `ExceptionGroup[${error.exceptions.map(describeError).join(", ")}]`;
  return error instanceof ValueError ? `ValueError(${error.message})` : nameOf(error);
}

function runScenario(makeGroup: () => Group, s: Scenario): Promise<string[]> {
  return runLogged(function* (at): Coro<void> {
    const group = makeGroup();
    /** Waits `ms`; on an error, logs it, maybe waits once more to clean up, and swallows a cancellation if asked. */
    function* wait(who: string, ms: number, swallow: boolean, cleanup: boolean): Coro<void> {
      try {
        yield* sleep(ms);
        at(`${who} slept`);
      } catch (error) {
        at(`${who}: ${nameOf(error)}`);
        if (cleanup) {
          yield* sleep(1);
          at(`${who} cleaned up`);
        }
        if (!swallow || !(error instanceof CancelledError)) throw error;
      }
    }
    function start(who: string, body: Coro<unknown>, eager = false): void {
      try {
        group.createTask(body, { eager });
        at(`${who} started`);
      } catch (error) {
        at(`${who}: ${nameOf(error)}`);
      }
    }
    function* child(i: number, spec: GroupChild): Coro<string> {
      if (spec.sleep !== null) yield* wait(`child ${i}`, spec.sleep, spec.end === "swallow", spec.cleanup);
      if (spec.cancelsGroup) {
        group.cancel();
        at(`child ${i} cancelled the group`);
      }
      if (spec.startsSibling) start(`sibling of ${i}`, wait(`sibling of ${i}`, 1, false, false));
      if (spec.waitsAfter) yield* wait(`child ${i} after`, 1, spec.end === "swallow", false);
      if (spec.end === "error") throw new ValueError(`child ${i}`);
      at(`child ${i} returns`);
      return `v${i}`;
    }
    function* body(): Coro<string> {
      const last = s.lastAfter === null ? s.children.length : s.children.length - 1;
      for (let i = 0; i < last; i++) start(`child ${i}`, child(i, s.children[i]!), s.children[i]!.eager);
      if (last < s.children.length) {
        yield* wait("body before the last child", s.lastAfter!, false, false);
        start(`child ${last}`, child(last, s.children[last]!), s.children[last]!.eager);
      }
      yield* wait("body", s.body.sleep, s.body.swallow, s.body.cleanup);
      if (s.body.then === "cancel group") {
        group.cancel();
        yield* wait("body after cancelling the group", 1, false, false);
      }
      if (s.body.then === "throw") throw new ValueError("body");
      return "body result";
    }

    if (s.cancelBeforeEnter) group.cancel();
    // The group's task goes on after the group, whatever came out of it: a cancel
    // the group left pending, or one made by a cancel() after it finished, shows at
    // its next wait.
    const parent = createTask(
      (function* (): Coro<void> {
        try {
          const result = s.scope === null ? yield* group.run(body) : yield* timeout(s.scope, () => group.run(body));
          at(`group: ${result}`);
        } catch (error) {
          at(`group: ${describeError(error)}`);
        }
        if (s.cancelAfterExit) {
          group.cancel();
          at("cancelled the group after it finished");
        }
        yield* wait("the group's task after the group", 1, false, false);
      })(),
    );
    for (const delay of s.outerCancels) {
      yield* sleep(delay);
      if (!parent.done()) at(`cancel the group's task: ${parent.cancel()}`);
    }
    try {
      yield* parent;
    } catch {
      // logged above
    }
    at(`its task counts ${parent.cancelling()} cancellation requests`);
  });
}

const ours = (): Group => new TaskGroup() as unknown as Group;
const reference = (): Group => new ReferenceTaskGroup() as unknown as Group;

describe("TaskGroup against CPython's", () => {
  it("logs the same events as the reference in random scenarios of children, failures, group cancels and outside cancels", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        expect(await runScenario(ours, s)).toEqual(await runScenario(reference, s));
      }),
      { numRuns: 1000 },
    );
  });
});
