import { describe, expect, it } from "vitest";
import { Connection, type Coro, type ExceptionContext, currentTask, getRunningLoop, run, sleep } from "../../src/index.js";
import { type Envelope, type Message, decodeBatch, encodeBatch } from "../../src/threads/protocol.js";
import { HandFedEndpoint } from "../support/hand-fed-endpoint.js";
import { ServedLater } from "../../src/threads/served-later.js";

// A served coroutine is answered the moment its task ends (in the step it returns,
// throws or is cancelled in, a task cancelled before its first step included), not
// by the task's done callback an iteration later; the answer is how the task ended.
// Either way a call gets exactly one answer.

type Reply = Extract<Message, { kind: "result" | "error" | "cancelled" }>;

/** The replies among what `endpoint` sent. */
function replies(endpoint: HandFedEndpoint): Reply[] {
  const found: Reply[] = [];
  for (const envelope of endpoint.sent) {
    decodeBatch(envelope as Envelope, (message) => {
      if (message.kind === "result" || message.kind === "error" || message.kind === "cancelled") found.push(message);
    });
  }
  return found;
}

/** Serves `exposed` on a hand-fed endpoint for `body`; fails the test on anything reported to the loop. */
function serving(exposed: object, body: (endpoint: HandFedEndpoint) => Coro<void>): Promise<void> {
  return run(
    (function* (): Coro<void> {
      const reported: ExceptionContext[] = [];
      getRunningLoop().setExceptionHandler((_loop, context) => {
        reported.push(context);
      });
      const endpoint = new HandFedEndpoint();
      const connection = new Connection(endpoint, getRunningLoop(), exposed, { peerName: "a test peer" });
      try {
        yield* body(endpoint);
      } finally {
        connection.dispose();
      }
      expect(reported).toEqual([]);
    })(),
  );
}

const call = (id: number, name: string, args: unknown[] = []): unknown => encodeBatch([{ kind: "call", id, name, args }]);
const cancel = (id: number): unknown => encodeBatch([{ kind: "cancel", id, message: "the caller gave up" }]);

/** Lets the loop run a few iterations (served tasks start, step, finish and their done callbacks run). */
function* iterations(count = 5): Coro<void> {
  for (let i = 0; i < count; i++) yield* sleep(0);
}

describe("answers to served coroutines", () => {
  it("posts a returned value before the served task's done callbacks run", async () => {
    const order: string[] = [];
    await serving(
      {
        *double(x: number): Coro<number> {
          currentTask()!.addDoneCallback(() => order.push("done callbacks"));
          yield* sleep(0);
          return 2 * x;
        },
      },
      function* (endpoint) {
        endpoint.onPost = () => order.push("posted");
        endpoint.deliver(call(1, "double", [21]));
        yield* iterations();
        expect(replies(endpoint)).toEqual([{ kind: "result", id: 1, value: 42 }]);
        expect(order).toEqual(["posted", "done callbacks"]);
      },
    );
  });

  it("answers once when a cancel arrives after the value was sent", async () => {
    await serving(
      {
        *quick(): Coro<string> {
          yield* sleep(0);
          return "done";
        },
      },
      function* (endpoint) {
        endpoint.onPost = () => endpoint.deliver(cancel(1)); // the caller's cancel crosses the answer
        endpoint.deliver(call(1, "quick"));
        yield* iterations();
        expect(replies(endpoint)).toEqual([{ kind: "result", id: 1, value: "done" }]);
      },
    );
  });

  it("answers once, as the task ended, when the coroutine cancels its own task in its last step", async () => {
    await serving(
      {
        *selfCancelling(): Coro<number> {
          yield* sleep(0);
          currentTask()!.cancel("changed its mind"); // the task ends cancelled (asyncio's rule), though it returns a value
          return 7;
        },
      },
      function* (endpoint) {
        endpoint.deliver(call(1, "selfCancelling"));
        yield* iterations();
        expect(replies(endpoint)).toEqual([{ kind: "cancelled", id: 1, message: "changed its mind" }]);
      },
    );
  });

  it("answers a failure, a cancellation and a task cancelled before its first step in the step each ends in, once each", async () => {
    await serving(
      {
        *failing(): Coro<never> {
          yield* sleep(0);
          throw new RangeError("out of range");
        },
        *waiting(): Coro<void> {
          yield* sleep(1000);
        },
      },
      function* (endpoint) {
        endpoint.deliver(call(1, "failing"));
        endpoint.deliver(call(2, "waiting"));
        endpoint.deliver(encodeBatch([{ kind: "call", id: 3, name: "waiting", args: [] }, { kind: "cancel", id: 3, message: "before it started" }]));
        yield* iterations();
        endpoint.deliver(cancel(2));
        yield* iterations();
        const got = replies(endpoint);
        // 3 ends at its first step (the cancel is thrown in before it starts), 1 in the
        // iteration after its first step, 2 when the cancel comes.
        expect(got.map((reply) => [reply.id, reply.kind])).toEqual([
          [3, "cancelled"],
          [1, "error"],
          [2, "cancelled"],
        ]);
        expect(got.find((reply) => reply.id === 1)).toMatchObject({ error: { name: "RangeError", message: "out of range" } });
        expect(got.find((reply) => reply.id === 2)).toMatchObject({ message: "the caller gave up" });
        expect(got.find((reply) => reply.id === 3)).toMatchObject({ message: "before it started" });
      },
    );
  });
});

// A served function may return a ServedLater: the call is answered in the step that
// settles it (a thread-safe queue's owner settles a remote get inside the put that
// brings its item), and sent at once rather than at the end of that iteration.
describe("answers given later without a coroutine (ServedLater)", () => {
  it("posts the answer inside the step that settles it, before that step goes on", async () => {
    let answer: ServedLater<string> | null = null;
    await serving(
      {
        later(): ServedLater<string> {
          answer = new ServedLater<string>(getRunningLoop());
          return answer;
        },
      },
      function* (endpoint) {
        endpoint.deliver(call(1, "later"));
        yield* iterations();
        expect(replies(endpoint)).toEqual([]);
        answer!.resolve("now");
        // Synchronously: posted in this very step, not at the next microtask.
        expect(replies(endpoint)).toEqual([{ kind: "result", id: 1, value: "now" }]);
        answer!.resolve("again"); // ignored: a call is answered once
        answer!.reject(new Error("too late"));
        yield* iterations();
        expect(replies(endpoint)).toHaveLength(1);
      },
    );
  });

  it("answers one already settled when it is returned, and a failure as an error", async () => {
    await serving(
      {
        settled(): ServedLater<number> {
          const answer = new ServedLater<number>(getRunningLoop());
          answer.resolve(5);
          return answer;
        },
        failed(): ServedLater<number> {
          const answer = new ServedLater<number>(getRunningLoop());
          answer.reject(new RangeError("no such item"));
          return answer;
        },
      },
      function* (endpoint) {
        endpoint.deliver(call(1, "settled"));
        endpoint.deliver(call(2, "failed"));
        yield* iterations();
        const got = replies(endpoint);
        expect(got[0]).toEqual({ kind: "result", id: 1, value: 5 });
        expect(got[1]).toMatchObject({ kind: "error", id: 2, error: { name: "RangeError", message: "no such item" } });
      },
    );
  });

  it("withdraws the wait and answers cancelled when the caller cancels", async () => {
    let answer: ServedLater<string> | null = null;
    const withdrawn: string[] = [];
    await serving(
      {
        later(): ServedLater<string> {
          answer = new ServedLater<string>(getRunningLoop());
          answer.withdraw = () => withdrawn.push("withdrawn");
          return answer;
        },
      },
      function* (endpoint) {
        endpoint.deliver(call(1, "later"));
        yield* iterations();
        endpoint.deliver(cancel(1));
        expect(withdrawn).toEqual(["withdrawn"]);
        expect(answer!.cancelled()).toBe(true);
        answer!.resolve("too late"); // the answer came after the cancel: ignored
        yield* iterations();
        expect(replies(endpoint)).toEqual([{ kind: "cancelled", id: 1, message: "the caller gave up" }]);
        expect(answer!.cancel()).toBe(false); // over: nothing more to withdraw
        expect(withdrawn).toEqual(["withdrawn"]);
      },
    );
  });
});
