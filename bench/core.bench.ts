/**
 * Core runtime: task spawn+join, awaiting a done future, sleep(0) switches, a deadline.
 * Measures the built package (`asyncio-ts` resolves to dist/), as users get it.
 * Compared with bare async functions + Promise.all and with effection.
 */
import { run as effectionRun, spawn as effectionSpawn } from "effection";
import { type Coro, VirtualClock, createTask, gather, getRunningLoop, run, sleep, taskGroup, waitFor } from "asyncio-ts";
import type { BenchGroup } from "./harness.js";

const TASKS = 100_000;
// effection needs about 15 KB per spawned task: 1e5 of them grow the heap to 1.5 GB,
// which then slows every case after it. Its per-spawn cost is measured on 1e4.
const EFFECTION_TASKS = 10_000;
const AWAITS = 1_000_000;
const SWITCHES = 100_000;
const GROUP_CHILDREN = 10_000;
const CHAINS = 10_000;
const CHAIN_DEPTH = 10;
const SLEEPERS = 100_000;
const SMALL_GATHERS = 10_000;

/** One sleep(0) per level of a yield* chain `depth` deep. */
function* chain(depth: number): Coro<void> {
  yield* sleep(0);
  if (depth > 1) yield* chain(depth - 1);
}

async function awaitChain(depth: number): Promise<void> {
  await null;
  if (depth > 1) await awaitChain(depth - 1);
}

/** 1e5 tasks sleeping up to 20 ms each, every deadline different. */
function* sleepers(): Coro<void> {
  const tasks = new Array(SLEEPERS);
  for (let i = 0; i < SLEEPERS; i++) tasks[i] = createTask(sleep((((i * 7919) % SLEEPERS) / SLEEPERS) * 20));
  yield* gather(...tasks);
}

function* oneWait(): Coro<number> {
  yield* sleep(0);
  return 1;
}

function* child(): Coro<number> {
  return 1;
}

export const coreGroups: BenchGroup[] = [
  {
    name: "TaskGroup with 1e4 children, one wait each",
    ops: GROUP_CHILDREN,
    rounds: 11,
    cases: [
      {
        name: "asyncio-ts taskGroup + createTask",
        run: () =>
          run(
            taskGroup(function* (group) {
              for (let i = 0; i < GROUP_CHILDREN; i++) group.createTask(oneWait());
            }),
          ),
      },
      {
        name: "asyncio-ts createTask + gather",
        run: () =>
          run(
            (function* (): Coro<void> {
              const tasks = new Array(GROUP_CHILDREN);
              for (let i = 0; i < GROUP_CHILDREN; i++) tasks[i] = createTask(oneWait());
              yield* gather(...tasks);
            })(),
          ),
      },
      {
        name: "async functions (one await each) + Promise.all",
        run: async () => {
          const promises = new Array(GROUP_CHILDREN);
          for (let i = 0; i < GROUP_CHILDREN; i++)
            promises[i] = (async () => {
              await null;
              return 1;
            })();
          await Promise.all(promises);
        },
      },
    ],
  },
  {
    name: "spawn+join 1e5 tasks",
    ops: TASKS,
    rounds: 11,
    cases: [
      {
        name: "asyncio-ts createTask + yield* each",
        run: () =>
          run(
            (function* (): Coro<void> {
              const tasks = new Array(TASKS);
              for (let i = 0; i < TASKS; i++) tasks[i] = createTask(child());
              for (let i = 0; i < TASKS; i++) yield* tasks[i];
            })(),
          ),
      },
      {
        name: "asyncio-ts createTask + gather",
        run: () =>
          run(
            (function* (): Coro<void> {
              const tasks = new Array(TASKS);
              for (let i = 0; i < TASKS; i++) tasks[i] = createTask(child());
              yield* gather(...tasks);
            })(),
          ),
      },
      {
        name: "async functions + Promise.all",
        run: async () => {
          const promises = new Array(TASKS);
          for (let i = 0; i < TASKS; i++) promises[i] = (async () => 1)();
          await Promise.all(promises);
        },
      },
      {
        name: "effection spawn + yield* each",
        ops: EFFECTION_TASKS,
        run: () =>
          effectionRun(function* () {
            const tasks = new Array(EFFECTION_TASKS);
            for (let i = 0; i < EFFECTION_TASKS; i++) tasks[i] = yield* effectionSpawn(function* () {
              return 1;
            });
            for (let i = 0; i < EFFECTION_TASKS; i++) yield* tasks[i];
          }),
      },
    ],
  },
  {
    // What users write: a coroutine from a generator function made per task (a
    // closure, a function* expression in a loop). Each has a prototype V8 has never
    // seen, so the floor is creating and running those generators with no runtime.
    name: "spawn+join 1e5 tasks from per-task closures",
    ops: TASKS,
    rounds: 11,
    cases: [
      {
        name: "asyncio-ts createTask(closure()) + yield* each",
        run: () =>
          run(
            (function* (): Coro<void> {
              const tasks = new Array(TASKS);
              for (let i = 0; i < TASKS; i++)
                tasks[i] = createTask(
                  (function* (): Coro<number> {
                    return i;
                  })(),
                );
              for (let i = 0; i < TASKS; i++) yield* tasks[i];
            })(),
          ),
      },
      {
        name: "raw: the same generators made and run, no runtime",
        run: () => {
          const coros = new Array(TASKS);
          for (let i = 0; i < TASKS; i++)
            coros[i] = (function* (): Coro<number> {
              return i;
            })();
          let sum = 0;
          for (let i = 0; i < TASKS; i++) sum += coros[i].next().value;
          if (sum !== (TASKS * (TASKS - 1)) / 2) throw new Error("wrong sum");
        },
      },
      {
        name: "async closures + Promise.all",
        run: async () => {
          const promises = new Array(TASKS);
          for (let i = 0; i < TASKS; i++) promises[i] = (async () => i)();
          await Promise.all(promises);
        },
      },
    ],
  },
  {
    name: "wait on a done future/promise",
    ops: AWAITS,
    cases: [
      {
        name: "asyncio-ts yield* done future",
        run: () =>
          run(
            (function* (): Coro<void> {
              const future = getRunningLoop().createFuture<number>();
              future.setResult(1);
              let sum = 0;
              for (let i = 0; i < AWAITS; i++) sum += yield* future;
              if (sum !== AWAITS) throw new Error("wrong sum");
            })(),
          ),
      },
      {
        name: "native await resolved promise",
        run: async () => {
          const promise = Promise.resolve(1);
          let sum = 0;
          for (let i = 0; i < AWAITS; i++) sum += await promise;
          if (sum !== AWAITS) throw new Error("wrong sum");
        },
      },
    ],
  },
  {
    name: "sleep(0) switch",
    ops: SWITCHES,
    rounds: 11,
    cases: [
      {
        name: "asyncio-ts yield* sleep(0)",
        run: () =>
          run(
            (function* (): Coro<void> {
              for (let i = 0; i < SWITCHES; i++) yield* sleep(0);
            })(),
          ),
      },
      {
        // What a running application has: some timer pending (a timeout, a long sleep).
        name: "asyncio-ts yield* sleep(0), a 60 s timer pending",
        run: () =>
          run(
            (function* (): Coro<void> {
              const pending = createTask(sleep(60_000));
              for (let i = 0; i < SWITCHES; i++) yield* sleep(0);
              pending.cancel();
            })(),
          ),
      },
      {
        name: "native await new Promise(setImmediate)",
        run: async () => {
          for (let i = 0; i < SWITCHES; i++) await new Promise((resolve) => setImmediate(resolve));
        },
      },
    ],
  },
  {
    // Every switch resumes the whole yield* chain below the task (V8 re-enters each
    // delegating generator), where an await resumes only its own function.
    name: "depth-10 chain of coroutines, one sleep(0) per level (per level)",
    ops: CHAINS * CHAIN_DEPTH,
    rounds: 11,
    cases: [
      {
        name: "asyncio-ts yield* chain, yield* sleep(0)",
        run: () =>
          run(
            (function* (): Coro<void> {
              for (let i = 0; i < CHAINS; i++) yield* chain(CHAIN_DEPTH);
            })(),
          ),
      },
      {
        name: "raw: async functions, await null per level",
        run: async () => {
          for (let i = 0; i < CHAINS; i++) await awaitChain(CHAIN_DEPTH);
        },
      },
    ],
  },
  {
    name: "gather of 1e5 coroutines",
    ops: TASKS,
    rounds: 11,
    cases: [
      {
        name: "asyncio-ts gather(...coroutines)",
        run: () =>
          run(
            (function* (): Coro<void> {
              const coros = new Array(TASKS);
              for (let i = 0; i < TASKS; i++) coros[i] = child();
              yield* gather(...coros);
            })(),
          ),
      },
      {
        name: "raw: async functions + Promise.all",
        run: async () => {
          const promises = new Array(TASKS);
          for (let i = 0; i < TASKS; i++) promises[i] = (async () => 1)();
          await Promise.all(promises);
        },
      },
    ],
  },
  {
    // What request handlers write: a few calls gathered, many times over.
    name: "gather of 10 coroutines, 1e4 times (per coroutine)",
    ops: SMALL_GATHERS * 10,
    rounds: 11,
    cases: [
      {
        name: "asyncio-ts gather(a(), b(), …)",
        run: () =>
          run(
            (function* (): Coro<void> {
              for (let i = 0; i < SMALL_GATHERS; i++) yield* gather(child(), child(), child(), child(), child(), child(), child(), child(), child(), child());
            })(),
          ),
      },
      {
        name: "raw: async functions + Promise.all",
        run: async () => {
          const one = async (): Promise<number> => 1;
          for (let i = 0; i < SMALL_GATHERS; i++) await Promise.all([one(), one(), one(), one(), one(), one(), one(), one(), one(), one()]);
        },
      },
    ],
  },
  {
    // What a test suite on VirtualClock pays: each distinct deadline is one loop
    // iteration, reached through a host macrotask (queued in batches of up to 256)
    // so that work the host already has ready runs before time moves. Nine rounds:
    // the two cases differ by less than this host's drift over a few rounds.
    name: "1e5 concurrent sleeps (distinct deadlines within 20 ms)",
    ops: SLEEPERS,
    rounds: 9,
    cases: [
      { name: "asyncio-ts under VirtualClock", run: () => run(sleepers(), { clock: new VirtualClock() }) },
      { name: "asyncio-ts on the real clock", run: () => run(sleepers()) },
    ],
  },
  {
    // What a deadline costs around a step that is over long before it: the scope,
    // its timer armed and cancelled. JavaScript's usual form races a timer promise.
    name: "a 1 s deadline around a sleep(0)",
    ops: SWITCHES,
    rounds: 11,
    cases: [
      {
        name: "asyncio-ts yield* waitFor(sleep(0), 1000)",
        run: () =>
          run(
            (function* (): Coro<void> {
              for (let i = 0; i < SWITCHES; i++) yield* waitFor(sleep(0), 1000);
            })(),
          ),
      },
      {
        name: "asyncio-ts yield* sleep(0), no deadline",
        run: () =>
          run(
            (function* (): Coro<void> {
              for (let i = 0; i < SWITCHES; i++) yield* sleep(0);
            })(),
          ),
      },
      {
        name: "raw: Promise.race with a setTimeout, cleared, around await setImmediate",
        run: async () => {
          for (let i = 0; i < SWITCHES; i++) {
            let timer: ReturnType<typeof setTimeout> | undefined;
            const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), 1000)));
            try {
              await Promise.race([new Promise((resolve) => setImmediate(resolve)), deadline]);
            } finally {
              clearTimeout(timer);
            }
          }
        },
      },
      {
        name: "raw: await setImmediate, no deadline",
        run: async () => {
          for (let i = 0; i < SWITCHES; i++) await new Promise((resolve) => setImmediate(resolve));
        },
      },
    ],
  },
];