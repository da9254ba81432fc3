import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Coro, LifoQueue, PriorityQueue, Queue, sleep } from "../../src/index.js";
import { runV } from "../support/harness.js";
import { ProgramLog } from "../support/program-log.js";
import { ReferenceLifoQueue, ReferencePriorityQueue, ReferenceQueue } from "./reference-queue.js";

/**
 * The optimized Queue, LifoQueue and PriorityQueue against a line-for-line port of
 * CPython's asyncio.Queue and its two storage variants (reference-queue.ts), on
 * the same loop: the same random program of puts, gets,
 * nowait calls, task_done, joins, cancellations and shutdowns, run once on each,
 * must log the same events in the same order — which task got which item, which
 * wait ended how and when, what each call threw, the size after each step. Where
 * the FIFO model test checks that nothing is lost, this checks that every rule of
 * asyncio's (who is woken, who re-checks, who barges) is kept exactly.
 */
type Command =
  | { kind: "put"; value: number }
  | { kind: "get" }
  | { kind: "putNowait"; value: number }
  | { kind: "getNowait" }
  | { kind: "taskDone" }
  | { kind: "join" }
  | { kind: "cancel"; index: number }
  | { kind: "step"; ms: number }
  | { kind: "shutdown"; immediate: boolean };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("put" as const), value: fc.nat(99) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("get" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("putNowait" as const), value: fc.nat(99) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("getNowait" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("taskDone" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("join" as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("cancel" as const), index: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("step" as const), ms: fc.constantFrom(0, 0, 1) }) },
);

/** Up to 40 commands, and in two programs of three a shutdown somewhere among them (after it, most calls fail alike). */
const program: fc.Arbitrary<Command[]> = fc
  .tuple(fc.array(command, { maxLength: 40, size: "max" }), fc.option(fc.record({ at: fc.nat(), immediate: fc.boolean() }), { freq: 3 }))
  .map(([commands, shutdown]) => {
    if (shutdown === null) return commands;
    const at = shutdown.at % (commands.length + 1);
    return [...commands.slice(0, at), { kind: "shutdown", immediate: shutdown.immediate }, ...commands.slice(at)];
  });

/** What both queues offer the program (each returns its own kind of coroutine). */
interface AnyQueue {
  put(item: number): Coro<void>;
  get(): Coro<number>;
  putNowait(item: number): void;
  getNowait(): number;
  taskDone(): void;
  join(): Coro<void>;
  shutdown(immediate: boolean): void;
  qsize(): number;
}

/** Runs `commands` against the queue `make` gives and returns the log of what happened. */
function runProgram(make: () => AnyQueue, commands: readonly Command[]): Promise<string[]> {
  return runV(function* (): Coro<string[]> {
    const queue = make();
    const log = new ProgramLog();
    for (const c of commands) {
      switch (c.kind) {
        case "put":
          log.spawn(`put ${c.value}`, function* (): Coro<string> {
            yield* queue.put(c.value);
            return "done";
          });
          break;
        case "get":
          log.spawn("get", function* (): Coro<string> {
            return `got ${yield* queue.get()}`;
          });
          break;
        case "join":
          log.spawn("join", function* (): Coro<string> {
            yield* queue.join();
            return "done";
          });
          break;
        case "putNowait":
          log.call(`putNowait ${c.value}`, () => queue.putNowait(c.value));
          break;
        case "getNowait":
          log.call("getNowait", () => queue.getNowait());
          break;
        case "taskDone":
          log.call("taskDone", () => queue.taskDone());
          break;
        case "cancel":
          log.cancelLive(c.index);
          break;
        case "step":
          yield* sleep(c.ms);
          break;
        case "shutdown":
          log.call(`shutdown ${c.immediate}`, () => queue.shutdown(c.immediate));
          break;
      }
      log.events.push(`size ${queue.qsize()}`);
    }
    yield* log.settle();
    log.events.push(`left ${queue.qsize()}`);
    return log.events;
  });
}

const kinds: [string, (maxsize: number) => AnyQueue, (maxsize: number) => AnyQueue][] = [
  ["Queue", (maxsize) => new Queue<number>(maxsize), (maxsize) => new ReferenceQueue<number>(maxsize)],
  ["LifoQueue", (maxsize) => new LifoQueue<number>(maxsize), (maxsize) => new ReferenceLifoQueue<number>(maxsize)],
  ["PriorityQueue", (maxsize) => new PriorityQueue<number>(maxsize), (maxsize) => new ReferencePriorityQueue(maxsize)],
];

describe.each(kinds)("%s against CPython's", (_name, ours, reference) => {
  it("logs the same events as the reference under random programs of every operation", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1, 1, 2, 3), program, async (maxsize, commands) => {
        expect(await runProgram(() => ours(maxsize), commands)).toEqual(await runProgram(() => reference(maxsize), commands));
      }),
      { numRuns: 1000 },
    );
  });
});
