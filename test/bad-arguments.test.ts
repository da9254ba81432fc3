import { describe, expect, it } from "vitest";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  type Coro,
  Lock,
  Queue,
  Semaphore,
  StreamReader,
  ValueError,
  VirtualClock,
  WorkerPool,
  asCompleted,
  connectPort,
  streamsOfPort,
  callSoonThreadsafe,
  createTask,
  ensureFuture,
  gather,
  getRunningLoop,
  run,
  runCoroutineThreadsafe,
  shield,
  sleep,
  spawnWorker,
  timeout,
  transfer,
  wait,
  waitFor,
  withLock,
} from "../src/index.js";
import { caught } from "./support/harness.js";
import { mathWorkerUrl } from "./threads/fixtures/worker-url.js";

type ErrorClass = typeof TypeError | typeof ValueError;

/**
 * Every public function and constructor, given what a user might wrongly pass: each
 * fails at the call, with the error class and a message that names the argument.
 * Runs inside a loop, since several of them need one; nothing here starts a thread.
 */
const cases: Array<[string, () => unknown, ErrorClass, RegExp]> = [
  ["sleep('5')", () => sleep("5" as never), TypeError, /sleep expects a delay in milliseconds/],
  ["callLater(NaN)", () => getRunningLoop().callLater(Number.NaN, () => {}), TypeError, /callLater expects a delay/],
  ["callSoon(42)", () => getRunningLoop().callSoon(42 as never), TypeError, /callSoon expects a function/],
  ["waitFor(x, '1')", () => waitFor(sleep(1), "1" as never), TypeError, /waitFor expects a timeout in milliseconds or null/],
  ["timeout('1', body)", () => timeout("1" as never, function* () {}), TypeError, /timeout expects a timeout in milliseconds or null/],
  ["wait(aws, { timeout: 'x' })", () => wait([Promise.resolve(1)], { timeout: "x" as never }), TypeError, /wait option timeout expects a timeout in milliseconds/],
  ["asCompleted(aws, { timeout: 'x' })", () => asCompleted([Promise.resolve(1)], { timeout: "x" as never }), TypeError, /asCompleted option timeout expects/],
  ["connectPort(5)", () => connectPort(5), TypeError, /connectPort expects a MessagePort/],
  ["streamsOfPort({})", () => streamsOfPort({}), TypeError, /streamsOfPort expects a MessagePort/],
  ["createTask(coro, 5)", () => createTask(sleep(1), 5 as never), TypeError, /createTask expects an options object/],
  ["gather([a, b])", () => gather([Promise.resolve(1), Promise.resolve(2)] as never), TypeError, /gather\(\.\.\.array\)/],
  ["wait([])", () => wait([]), ValueError, /at least one future/],
  ["asCompleted(5)", () => asCompleted(5 as never), TypeError, /iterable of awaitables/],
  ["ensureFuture(5)", () => ensureFuture(5 as never), TypeError, /awaitable was expected/],
  ["shield(5)", () => shield(5 as never), TypeError, /awaitable was expected/],
  ["createTask(5)", () => createTask(5 as never), TypeError, /createTask expects a coroutine/],
  ["new VirtualClock('abc')", () => new VirtualClock("abc" as never), TypeError, /VirtualClock expects a start time/],
  ["new VirtualClock(Infinity)", () => new VirtualClock(Infinity), TypeError, /finite number/],
  ["new Semaphore(-1)", () => new Semaphore(-1), ValueError, /Semaphore initial value \(permits\) must be >= 0/],
  ["new Semaphore(1.5)", () => new Semaphore(1.5), TypeError, /Semaphore initial value \(permits\) expects an integer/],
  ["new BoundedSemaphore('2')", () => new BoundedSemaphore("2" as never), TypeError, /expects an integer/],
  ["new Barrier(0)", () => new Barrier(0), ValueError, /Barrier parties must be >= 1/],
  ["new Queue(-1)", () => new Queue(-1), ValueError, /maxsize must be >= 0/],
  ["new Queue(0.5)", () => new Queue(0.5), TypeError, /integer maxsize/],
  ["new Condition({})", () => new Condition({} as never), TypeError, /Condition expects a Lock/],
  ["Condition.notify(-1)", () => new Condition().notify(-1), ValueError, /Condition.notify count must be >= 0/],
  ["Condition.notify(1.5)", () => new Condition().notify(1.5), TypeError, /Condition.notify count expects an integer/],
  ["withLock(lock, 5)", () => withLock(new Lock(), 5 as never), TypeError, /withLock expects a function/],
  ["new StreamReader({ limit: Infinity })", () => new StreamReader({ limit: Infinity }), TypeError, /StreamReader option limit expects an integer/],
  ["new StreamReader({ limit: 1.5 })", () => new StreamReader({ limit: 1.5 }), TypeError, /limit expects an integer/],
  ["new StreamReader({ limit: 0 })", () => new StreamReader({ limit: 0 }), ValueError, /limit must be >= 1/],
  ["new StreamReader(5)", () => new StreamReader(5 as never), TypeError, /StreamReader expects an options object/],
  ["reader.read(NaN)", () => new StreamReader().read(Number.NaN), TypeError, /read size .* expects an integer, got number NaN/],
  ["reader.readexactly(1.5)", () => new StreamReader().readexactly(1.5), TypeError, /readexactly size \(bytes\) expects an integer/],
  ["reader.readexactly('2')", () => new StreamReader().readexactly("2" as never), TypeError, /readexactly size .* the string "2"/],
  ["reader.readexactly(-1)", () => new StreamReader().readexactly(-1), ValueError, /readexactly size \(bytes\) must be >= 0/],
  ["reader.readuntil(42)", () => new StreamReader().readuntil(42 as never), TypeError, /separator as a string or a Uint8Array/],
  ["reader.feedData('str')", () => new StreamReader().feedData("str" as never), TypeError, /feedData expects bytes .*TextEncoder/],
  ["transfer({}, 42)", () => transfer({}, 42 as never), TypeError, /transfer\(\) expects a list of what to move/],
  ["transfer(5, [])", () => transfer(5, []), TypeError, /transfer\(\) needs an object/],
  ["runCoroutineThreadsafe({}, 'f')", () => runCoroutineThreadsafe({} as never, "f"), TypeError, /Expected a worker handle/],
  ["callSoonThreadsafe(null, 'f')", () => callSoonThreadsafe(null as never, "f"), TypeError, /Expected a worker handle/],
  ["spawnWorker(42)", () => spawnWorker(42 as never), TypeError, /spawnWorker expects the worker module's URL/],
  ["spawnWorker(url, 'x')", () => spawnWorker(mathWorkerUrl, "x" as never), TypeError, /spawnWorker expects an options object/],
  ["spawnWorker(url, { name: 5 })", () => spawnWorker(mathWorkerUrl, { name: 5 as never }), TypeError, /spawnWorker option name expects a string/],
  ["spawnWorker(url, { cancelGrace: '1' })", () => spawnWorker(mathWorkerUrl, { cancelGrace: "1" as never }), TypeError, /cancelGrace expects milliseconds/],
  ["spawnWorker(url, { cancelGrace: -1 })", () => spawnWorker(mathWorkerUrl, { cancelGrace: -1 }), ValueError, /cancelGrace must be >= 0 ms/],
  ["spawnWorker(url, { expose: 5 })", () => spawnWorker(mathWorkerUrl, { expose: 5 as never }), TypeError, /spawnWorker option expose expects an object of functions/],
  ["new WorkerPool(42)", () => new WorkerPool(42 as never), TypeError, /WorkerPool expects the worker module's URL/],
  ["new WorkerPool(url, { idleTimeout: '5' })", () => new WorkerPool(mathWorkerUrl, { idleTimeout: "5" as never }), TypeError, /idleTimeout expects milliseconds/],
  ["new WorkerPool(url, { idleTimeout: 0 })", () => new WorkerPool(mathWorkerUrl, { idleTimeout: 0 }), ValueError, /idleTimeout must be > 0 ms/],
  ["new WorkerPool(url, { size: 0 })", () => new WorkerPool(mathWorkerUrl, { size: 0 }), ValueError, /WorkerPool option size must be >= 1/],
  ["new WorkerPool(url, { maxQueue: 2.5 })", () => new WorkerPool(mathWorkerUrl, { maxQueue: 2.5 }), TypeError, /maxQueue expects an integer/],
  ["new WorkerPool(url, { cancelGrace: NaN })", () => new WorkerPool(mathWorkerUrl, { cancelGrace: Number.NaN }), TypeError, /cancelGrace expects milliseconds/],
  ["new WorkerPool(url, { name: 1 })", () => new WorkerPool(mathWorkerUrl, { name: 1 as never }), TypeError, /WorkerPool option name expects a string/],
];

describe("every public function refuses bad arguments at the call", () => {
  for (const [call, attempt, ErrorClass, message] of cases) {
    it(`${call} throws ${ErrorClass.name} naming what was expected`, async () => {
      await run(
        (function* (): Coro<void> {
          let thrown: unknown = null;
          try {
            attempt();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(ErrorClass);
          expect((thrown as Error).message).toMatch(message);
          yield* sleep(0);
        })(),
      );
    });
  }

  it("fails a task whose function returns neither a promise nor a coroutine, saying so", async () => {
    const error = await run(
      (function* (): Coro<unknown> {
        return yield* caught(createTask((() => 5) as never));
      })(),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/returned number 5, neither a promise nor a coroutine/);
  });
});
