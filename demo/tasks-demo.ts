/**
 * A terminal tour of the core runtime: tasks running side by side, a timeout that
 * holds, a cancellation that lands at the exact `yield*` and lets `finally` clean
 * up (even when the cleanup itself waits), and a TaskGroup failing as a unit.
 *
 * Run it: `npm run demo`.
 */
import {
  CancelledError,
  type Coro,
  ExceptionGroup,
  TimeoutError,
  createTask,
  gather,
  run,
  sleep,
  taskGroup,
  waitFor,
} from "../src/index.js";

const started = performance.now();
function log(message: string): void {
  console.log(`${(performance.now() - started).toFixed(0).padStart(5)} ms  ${message}`);
}

function* download(name: string, ms: number): Coro<string> {
  log(`${name}: started (${ms} ms of work)`);
  yield* sleep(ms);
  log(`${name}: finished`);
  return `${name}.bin`;
}

function* worker(name: string): Coro<void> {
  try {
    for (let step = 1; ; step++) {
      yield* sleep(100);
      log(`${name}: step ${step}`);
    }
  } finally {
    log(`${name}: cancelled at its yield*, cleaning up (the cleanup waits 50 ms)`);
    yield* sleep(50);
    log(`${name}: cleanup done`);
  }
}

function* failing(ms: number): Coro<never> {
  yield* sleep(ms);
  throw new Error(`failed after ${ms} ms`);
}

function* main(): Coro<void> {
  log("1. three downloads run concurrently with gather");
  const files = yield* gather(download("a", 300), download("b", 200), download("c", 100));
  log(`   gather returned ${JSON.stringify(files)} after about 300 ms, not 600`);

  log("2. waitFor gives a slow download 150 ms");
  try {
    yield* waitFor(download("slow", 1000), 150);
  } catch (error) {
    if (error instanceof TimeoutError) log("   TimeoutError: the slow download was cancelled and awaited");
    else throw error;
  }

  log("3. a worker is cancelled while it waits");
  const task = createTask(worker("worker"), { name: "worker" });
  yield* sleep(350);
  task.cancel("demo is done with it");
  try {
    yield* task;
  } catch (error) {
    if (error instanceof CancelledError) log(`   worker ended cancelled: "${error.message}"`);
    else throw error;
  }

  log("4. a TaskGroup: one child fails, its sibling is cancelled, errors come out together");
  try {
    yield* taskGroup(function* (group) {
      group.createTask(worker("sibling"));
      group.createTask(failing(250));
    });
  } catch (error) {
    if (error instanceof ExceptionGroup) log(`   ExceptionGroup: ${error.exceptions.map((e) => (e as Error).message).join(", ")}`);
    else throw error;
  }
  log("done");
}

await run(main());
