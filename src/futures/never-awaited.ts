import type { EventLoop } from "../loop/event-loop.js";
import { debugEverOn } from "../loop/event-loop.js";
import { findRunningLoop } from "../loop/running-loop.js";
import { captureStack } from "./frames.js";

/**
 * Debug mode's "coroutine … was never awaited" (asyncio's RuntimeWarning), for the
 * coroutines the library makes — `sleep(10)`, `lock.acquire()`, `queue.put(x)` —
 * written without `yield*` in front: a JavaScript generator is silently nothing
 * until it is driven. Each such coroutine made while a debug-mode loop runs is
 * watched until it is started (by `yield*`, `await` or a task); one collected
 * unstarted is reported to its loop's exception handler, with where it was made.
 * A user's own generators cannot be watched: nothing runs when they are created.
 *
 * The watch costs nothing until a loop first enters debug mode: only then are the
 * library's coroutine methods wrapped and their `yield*` entry hooked.
 */
interface Made {
  readonly name: string;
  readonly loop: EventLoop;
  readonly stack: string | undefined;
}

const unstarted = new FinalizationRegistry<Made>((made) => {
  if (made.loop.isClosed()) return;
  made.loop.callExceptionHandler({
    message: `coroutine '${made.name}' was never awaited: put yield* (or await) before the call, or hand it to createTask()`,
    ...(made.stack !== undefined ? { sourceTraceback: made.stack } : {}),
  });
});

/** The library's coroutine methods and generator prototypes, to hook once debug mode is first on. */
const methods: Array<{ prototype: object; name: string }> = [];
const prototypes: object[] = [];
let watching = false;

/**
 * @internal Watches `coro`, made by `name`, when a debug-mode loop is running; `below`
 * is left out of where it was made. A coroutine returned through several watched
 * methods (a thread-safe semaphore's owner returns its `Semaphore`'s acquire) is
 * watched once, under the last of them: the method the user called.
 */
export function watchUnstarted<C extends object>(coro: C, name: string, below: (...args: never[]) => unknown): C {
  if (debugEverOn) {
    const loop = findRunningLoop();
    if (loop !== null && loop._debug) {
      unstarted.unregister(coro);
      unstarted.register(coro, { name, loop, stack: captureStack(below).stack }, coro);
    }
  }
  return coro;
}

/** @internal `coro` was started (or closed on purpose): it is not a forgotten one. */
export function markStarted(coro: object): void {
  if (debugEverOn) unstarted.unregister(coro);
}

/** @internal The coroutines of `prototype[name]` are watched once debug mode is on. */
export function watchMethod(prototype: object, name: string): void {
  methods.push({ prototype, name });
  if (watching) wrapMethod(prototype, name);
}

/** @internal Coroutines with this prototype count as started when `yield*` enters them. */
export function watchPrototype(prototype: object): void {
  prototypes.push(prototype);
  if (watching) hookIteration(prototype);
}

/** @internal A loop entered debug mode for the first time: start watching. */
export function startWatching(): void {
  if (watching) return;
  watching = true;
  for (const { prototype, name } of methods) wrapMethod(prototype, name);
  for (const prototype of prototypes) hookIteration(prototype);
}

function wrapMethod(prototype: object, methodName: string): void {
  const table = prototype as Record<string, (...args: never[]) => unknown>;
  const method = table[methodName]!;
  const name = `${(prototype as { constructor: { name: string } }).constructor.name}.${methodName.replace(/Coro$/, "")}`;
  const watched = function (this: unknown, ...args: never[]): unknown {
    return watchUnstarted(Reflect.apply(method, this, args) as object, name, watched);
  };
  table[methodName] = watched;
}

/** `yield*` asks a coroutine for its iterator first: the moment it is started. */
function iterateStarted(this: object): object {
  markStarted(this);
  return this;
}

function hookIteration(prototype: object): void {
  Object.defineProperty(prototype, Symbol.iterator, { value: iterateStarted, writable: true, configurable: true });
}
