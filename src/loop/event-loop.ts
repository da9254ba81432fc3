import { host } from "#platform";
import { BlockedWatchdog } from "./blocked-watchdog.js";
import { RuntimeError, describeValue } from "../errors.js";
import type { Future } from "../futures/future.js";
import type { Task, TaskBody, TaskOptions } from "../futures/task.js";
import { Handle, TimerHandle } from "./handles.js";
import { findRunningLoop, setRunningLoop } from "./running-loop.js";
import { type InternalCallback, ReadyQueue, describeEntry, runEntry } from "./ready-queue.js";
import { TimerHeap } from "./timer-heap.js";
import type { Clock } from "./virtual-clock.js";
import type { HostAsyncContext } from "../platform/host.js";
import { runAsMicrotask } from "./microtask.js";
import { VirtualJumps } from "./virtual-jumps.js";

/** What the loop hands its exception handler, as asyncio's context dict. */
export interface ExceptionContext {
  /** What went wrong, for a human. */
  message: string;
  /** The error, when there is one. */
  exception?: unknown;
  /** The future or task concerned. */
  future?: unknown;
  /** The task concerned. */
  task?: unknown;
  /** The callback handle that threw. */
  handle?: Handle;
  [key: string]: unknown;
}

/** A handler set with `setExceptionHandler`. */
export type ExceptionHandler = (loop: EventLoop, context: ExceptionContext) => void;

/** Where the loop writes warnings and unhandled errors; `console` by default. */
export interface Logger {
  /** A warning (slow callbacks in debug mode). */
  warn(message: string): void;
  /** An error the default exception handler reports, with the error itself. */
  error(message: string, error?: unknown): void;
}

/** Options of `new EventLoop(...)` and `run(...)`. */
export interface EventLoopOptions {
  /** A `VirtualClock` for deterministic timing tests; the host clock by default. */
  clock?: Clock;
  /**
   * Debug mode: warns about callbacks slower than `slowCallbackDuration`, a thread
   * blocked longer than `blockedThreshold`, and library coroutines never awaited;
   * records where each task waits (frames in `captureCallGraph`/`captureTaskTree`).
   */
  debug?: boolean;
  /** Where warnings and unhandled errors go; `console` by default. */
  logger?: Logger;
  /**
   * Node: each task runs in the async context where it was created — what every
   * `AsyncLocalStorage` held there (a request id, a trace span) — as an asyncio
   * task runs in the contextvars of its creation. Without it a task sees the
   * stores of whatever code last woke the loop: turn it on in a service whose
   * logging or tracing uses `AsyncLocalStorage`. A callback given to `callSoon`,
   * `callLater` or `callAt` runs in the context it was scheduled in too, as
   * asyncio's do. It costs about 0.35 µs a task (an `AsyncResource`) and 15–30 ns
   * a step, measured, so it is off by default. Browsers have no such context:
   * ignored there.
   *
   * @example
   * ```ts
   * const request = new AsyncLocalStorage<{ id: string }>();
   * const loop = startLoop({ asyncContext: true });
   * request.run({ id: "r1" }, () => loop.createTask(handle())); // handle() sees "r1" at every step
   * ```
   */
  asyncContext?: boolean;
}

/** Makes tasks for `createTask`; set with `setTaskFactory` (see `eagerTaskFactory`). */
export type TaskFactory = <T>(loop: EventLoop, body: TaskBody<T>, options?: TaskOptions) => Task<T>;

/**
 * Something that runs named functions elsewhere and gives back a future: a
 * `WorkerPool`. The loop only hands calls to it (`runInExecutor`).
 */
export interface Executor {
  /** Runs the function `name` with `args` and returns a future of its result. */
  execute(name: string, args: readonly unknown[]): Future<unknown>;
}

/** @internal How the futures layer plugs its classes into the loop without the loop importing them. */
export interface FutureClasses {
  createFuture(loop: EventLoop): Future<unknown>;
  createTask(loop: EventLoop, body: TaskBody<unknown>, options?: TaskOptions): Task<unknown>;
  /** Reports the tasks still pending as `loop` closes (asyncio's "Task was destroyed but it is pending!"). */
  reportPendingTasks(loop: EventLoop): void;
  /** `loop` closes: the awaits of async code on its futures that can no longer finish end with CancelledError. */
  releaseAsyncAwaiters(loop: EventLoop): void;
  /** A loop of this thread entered debug mode for the first time. */
  debugFirstOn(): void;
}
let futureClasses: FutureClasses | null = null;

/** @internal Called once by `futures/`. */
export function registerFutureClasses(classes: FutureClasses): void {
  futureClasses = classes;
}

/**
 * @internal Whether any loop of this thread was ever in debug mode: a check that
 * costs nothing where debug work would otherwise need the running loop first.
 */
export let debugEverOn = false;

function noteDebugOn(): void {
  if (debugEverOn) return;
  debugEverOn = true;
  futureClasses?.debugFirstOn();
}

/** How long the loop may keep the host busy before it yields a macrotask (ms). */
const SLICE_BUDGET_MS = 8;
/**
 * Iterations that may start without a look at the clock, after a look showed the
 * iterations before it fast (under `FAST_ITERATION_MS` each on average). A clock
 * read costs 45-100 ns on this project's test machine, half a `sleep(0)` switch;
 * iterations that turn slow overshoot the budget by at most this many. Seven
 * rather than three (same-process A/B): a `sleep(0)` switch 0.90x, a depth-10
 * chain of them 0.93-0.96x.
 */
const UNCHECKED_ITERATIONS = 7;
const FAST_ITERATION_MS = 0.025;
/** How far past the last clock reading a deadline must be for an unchecked iteration to skip the timers (see `surelyNotDue`). */
const TIMER_GRACE_MS = 1;
/** Compact the timer heap when this many cancelled timers sit in it and they are the majority. */
const MIN_CANCELLED_TIMERS_TO_COMPACT = 100;

/** The longest delay `setTimeout` takes (2^31-1 ms); a longer one fires at once. */
const MAX_HOST_DELAY = 2 ** 31 - 1;
const hostClock: Clock = { now: () => host.now() };

/**
 * One thread's event loop, as asyncio's: a ready queue of callbacks, a heap of
 * timers, and the iteration order of `BaseEventLoop._run_once` — due timers join
 * the end of the ready queue, and each iteration runs only what was ready when it
 * began.
 *
 * It drains on microtasks for speed (fast iterations several to one), yields to
 * the host (a macrotask) after about 8 ms of continuous work so I/O, host timers
 * and rendering keep running, and keeps one host timer armed for the earliest
 * deadline. Async code awaiting its futures or tasks resumes between iterations,
 * as a task's coroutine would.
 *
 * Most code never builds one: `run(main)` does, and `getRunningLoop()` finds it.
 *
 * @example
 * ```ts
 * const loop = new EventLoop();
 * loop.callLater(10, () => loop.stop());
 * await loop.runForever();
 * loop.close();
 * ```
 */
export class EventLoop {
  /** Debug-mode threshold (ms) above which a callback is reported as slow. */
  slowCallbackDuration = 100;
  /**
   * Debug-mode threshold (ms) above which the thread is reported as blocked: by a
   * slow callback, or by code outside the loop that no callback timing sees.
   */
  blockedThreshold = 200;
  /** Made on the first run in debug mode. */
  private watchdog: BlockedWatchdog | null = null;

  private readonly ready = new ReadyQueue();
  private readonly timers = new TimerHeap();
  private cancelledTimers = 0;
  private timerSequence = 0;
  private readonly clock: Clock;
  private readonly logger: Logger;
  /** @internal Debug mode (read by `futures/` to record where tasks wait). */
  _debug: boolean;
  private exceptionHandler: ExceptionHandler | null = null;
  private taskFactory: TaskFactory | null = null;
  private defaultExecutor: Executor | null = null;

  private running = false;
  private stopping = false;
  private closed = false;
  private resolveStopped: (() => void) | null = null;

  private drainScheduled = false;
  /**
   * Iterations are running in this microtask (see `drain`): the next one is asked
   * for by setting `drainScheduled`, not by queuing a microtask.
   */
  private draining = false;
  /** This microtask's iteration queued host microtasks that belong before the next one (see `_hostMicrotasksQueued`). */
  private microtasksWaiting = false;
  /**
   * @internal Promises between this loop and async code, still pending (kept by
   * `futures/`): an async-function task running, a promise from a future's
   * `then()`, a future waiting on a promise. While there is any, each iteration
   * has a microtask of its own (see `drain`), so the other side's microtasks run
   * between iterations.
   */
  _asyncInFlight = 0;
  /** When the loop last started draining from a macrotask: the host had its turn then. */
  private sliceStart = 0;
  /**
   * The host clock's last reading (by `scheduleDrain`, or at a host turn), and how
   * many iterations may still start without a read; none after the loop idled or
   * stopped.
   */
  private budgetCheckedAt = 0;
  private uncheckedIterations = 0;
  private hostTimer: ReturnType<typeof setTimeout> | null = null;
  private hostTimerDeadline = Infinity;
  /** Where virtual time moves from, under a virtual clock (made when first needed). */
  private virtualJumps: VirtualJumps | null = null;

  /** @internal Tasks run in the host async context they were made in (`EventLoopOptions.asyncContext`). */
  readonly _asyncContext: boolean;
  /** @internal The async context of the task being stepped, with `asyncContext` (set by `futures/`). */
  _enteredContext: HostAsyncContext | null = null;
  /** @internal The task being stepped (set by `futures/`). */
  _currentTask: unknown = null;
  /** @internal The tasks not yet done, kept by `futures/` (opaque here). */
  _taskList: unknown = null;
  /** @internal The pending futures async code awaits, kept by `futures/` (opaque here). */
  _asyncAwaited: unknown = null;
  /** @internal Errors nobody retrieved yet, reported at `close()` if still unretrieved. */
  readonly _unreportedErrors = new Set<{ report(): void }>();

  constructor(options: EventLoopOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError(`EventLoop options are an object ({ debug, clock, logger, asyncContext }), got ${describeValue(options)}`);
    this.clock = options.clock ?? hostClock;
    this._debug = options.debug ?? false;
    if (this._debug) noteDebugOn();
    this.logger = options.logger ?? console;
    if (options.asyncContext !== undefined && typeof options.asyncContext !== "boolean") {
      throw new TypeError(`EventLoop option asyncContext expects true or false, got ${describeValue(options.asyncContext)}`);
    }
    this._asyncContext = options.asyncContext ?? false;
  }

  /** The loop's monotonic time in milliseconds (virtual under a `VirtualClock`). */
  time(): number {
    return this.clock.now();
  }

  /**
   * Schedules `callback(...args)` for the next iteration, after what is already ready.
   *
   * @example
   * ```ts
   * loop.callSoon((name) => console.log(`hello ${name}`), "world");
   * ```
   */
  callSoon<A extends unknown[]>(callback: (...args: A) => void, ...args: A): Handle {
    this.checkCallback(callback, "callSoon");
    if (this._asyncContext) callback = this.inAsyncContext(callback);
    return this.scheduleHandle(new Handle(callback, args.length, args[0], args[1], args.length > 2 ? args : undefined, this));
  }

  /**
   * Schedules `callback(...args)` to run `delay` ms from now. Timers due at the same
   * time run in the order they were scheduled.
   *
   * @example
   * ```ts
   * const handle = loop.callLater(50, () => console.log("50 ms later"));
   * ```
   */
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => void, ...args: A): TimerHandle {
    if (typeof delay !== "number" || Number.isNaN(delay)) {
      throw new TypeError(`callLater expects a delay in milliseconds, got ${describeValue(delay)}`);
    }
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /**
   * Schedules `callback(...args)` at loop time `when` (see `time()`).
   *
   * @example
   * ```ts
   * loop.callAt(loop.time() + 1000, () => console.log("a second later"));
   * ```
   */
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => void, ...args: A): TimerHandle {
    if (typeof when !== "number" || Number.isNaN(when)) {
      throw new TypeError(`callAt expects a loop time in milliseconds, got ${describeValue(when)}`);
    }
    this.checkCallback(callback, "callAt");
    this.checkClosed();
    if (this._asyncContext) callback = this.inAsyncContext(callback);
    const timer = new TimerHandle(when, this.timerSequence++, callback, args, this);
    this.timers.push(timer);
    if (this.running && !this.drainScheduled) this.waitForTimers();
    return timer;
  }

  /**
   * A new pending `Future` bound to this loop.
   *
   * @example
   * ```ts
   * const f = loop.createFuture<number>();
   * loop.callLater(10, () => f.setResult(42));
   * ```
   */
  createFuture<T>(): Future<T> {
    this.checkClosed();
    return requireFutureClasses().createFuture(this) as Future<T>;
  }

  /**
   * Wraps a coroutine (or an async function taking an `AbortSignal`) in a `Task`
   * scheduled on this loop, through the task factory if one is set.
   *
   * @example
   * ```ts
   * const task = loop.createTask(worker(1), { name: "worker-1" });
   * ```
   */
  createTask<T>(body: TaskBody<T>, options?: TaskOptions): Task<T> {
    this.checkClosed();
    if (this.taskFactory !== null) return this.taskFactory(this, body, options);
    return requireFutureClasses().createTask(this, body as TaskBody<unknown>, options) as Task<T>;
  }

  /**
   * Sets the factory `createTask` uses (`null` restores the default), as asyncio's
   * `set_task_factory`. `eagerTaskFactory` starts every task eagerly.
   *
   * @example
   * ```ts
   * getRunningLoop().setTaskFactory(eagerTaskFactory);
   * ```
   */
  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null && typeof factory !== "function") {
      throw new TypeError(`setTaskFactory expects a function or null, got ${describeValue(factory)}`);
    }
    this.taskFactory = factory;
  }

  /**
   * Runs the function `name` on `executor` (the default one when `null`) and
   * returns a future of its result, as asyncio's `run_in_executor` — here the
   * executor is a `WorkerPool` and the function one its workers expose.
   *
   * @example
   * ```ts
   * const hash = yield* getRunningLoop().runInExecutor(pool, "sha256", bytes);
   * ```
   */
  runInExecutor<T = unknown>(executor: Executor | null, name: string, ...args: unknown[]): Future<T> {
    const target = executor ?? this.defaultExecutor;
    if (target === null) {
      throw new RuntimeError("No executor given and no default executor set: call setDefaultExecutor(new WorkerPool(url)) first.");
    }
    return target.execute(name, args) as Future<T>;
  }

  /** Sets the executor `runInExecutor(null, ...)` and `toThread` use. */
  setDefaultExecutor(executor: Executor | null): void {
    if (executor !== null && typeof executor?.execute !== "function") {
      throw new TypeError(`setDefaultExecutor expects an executor such as a WorkerPool, got ${describeValue(executor)}`);
    }
    this.defaultExecutor = executor;
  }

  /** The executor set with `setDefaultExecutor`, or `null`. */
  getDefaultExecutor(): Executor | null {
    return this.defaultExecutor;
  }

  /** The factory set with `setTaskFactory`, or `null`. */
  getTaskFactory(): TaskFactory | null {
    return this.taskFactory;
  }

  /**
   * Runs the loop until `stop()` is called. Resolves when it has stopped.
   *
   * @example
   * ```ts
   * loop.callLater(100, () => loop.stop());
   * await loop.runForever();
   * ```
   */
  runForever(): Promise<void> {
    this.checkClosed();
    if (this.running) throw new RuntimeError("This event loop is already running.");
    if (findRunningLoop() !== null) {
      throw new RuntimeError("Cannot run an event loop while another loop is running in this thread; use createTask() on the running loop instead.");
    }
    this.running = true;
    // Time passed while stopped: the first iteration reads the clock (see surelyNotDue).
    this.uncheckedIterations = 0;
    setRunningLoop(this);
    if (this._debug) this.startWatchdog();
    return new Promise<void>((resolve) => {
      this.resolveStopped = resolve;
      if (!this.ready.isEmpty || this.stopping) this.scheduleDrain();
      else this.waitForTimers();
    });
  }

  /**
   * Runs the loop until `future` is done and returns its result (or throws its error).
   *
   * @example
   * ```ts
   * const value = await loop.runUntilComplete(loop.createTask(main()));
   * ```
   */
  async runUntilComplete<T>(future: Future<T>): Promise<T> {
    if (!future.done()) future.addDoneCallback(() => this.stop());
    await this.runForever();
    if (!future.done()) throw new RuntimeError("Event loop stopped before the Future completed.");
    return future.result();
  }

  /**
   * Stops the loop after the current iteration; `runForever()` then resolves.
   * Callbacks still ready wait for the next run.
   */
  stop(): void {
    this.stopping = true;
    if (this.running) this.scheduleDrain();
  }

  /** Whether the loop is running (between `runForever()` and its stop). */
  isRunning(): boolean {
    return this.running;
  }

  /** Whether `close()` was called. */
  isClosed(): boolean {
    return this.closed;
  }

  /**
   * Closes the loop: drops pending callbacks and timers, reports each task still
   * pending (it can never finish now: cancel and await tasks first, as `run()` and
   * `Runner` do) and errors nobody retrieved. A closed loop refuses new work with `RuntimeError`. Closing twice
   * does nothing; closing a running loop is an error.
   */
  close(): void {
    if (this.running) throw new RuntimeError("Cannot close a running event loop; stop() it first.");
    if (this.closed) return;
    this.closed = true;
    this.ready.clear();
    this.timers.removeCancelled();
    while (this.timers.size > 0) this.timers.pop()!.cancel();
    futureClasses?.reportPendingTasks(this);
    futureClasses?.releaseAsyncAwaiters(this);
    for (const report of [...this._unreportedErrors]) report.report();
    this._unreportedErrors.clear();
  }

  /** Turns debug mode on or off (slow-callback and blocked-thread warnings, recorded wait points for the call graph). */
  setDebug(enabled: boolean): void {
    this._debug = enabled;
    if (enabled) noteDebugOn();
    if (!enabled) this.watchdog?.stop();
    else if (this.running) this.startWatchdog();
  }

  /** Whether debug mode is on. */
  getDebug(): boolean {
    return this._debug;
  }

  /**
   * Sets the handler for errors nothing else caught (a callback that threw, a task
   * exception never retrieved). `null` restores the default, which logs.
   *
   * @example
   * ```ts
   * loop.setExceptionHandler((loop, context) => reportToSentry(context.exception));
   * ```
   */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError(`setExceptionHandler expects a function or null, got ${describeValue(handler)}`);
    }
    this.exceptionHandler = handler;
  }

  /** The handler set with `setExceptionHandler`, or `null`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this.exceptionHandler;
  }

  /** Logs `context` through the loop's logger: what runs when no handler is set. */
  defaultExceptionHandler(context: ExceptionContext): void {
    const details = Object.entries(context)
      .filter(([key]) => key !== "message" && key !== "exception")
      .map(([key, value]) => `${key}: ${describeContextValue(value)}`);
    const message = [context.message || "Unhandled exception in event loop", ...details].join("\n");
    this.logger.error(message, context.exception);
  }

  /**
   * Hands `context` to the exception handler (or the default one). An error thrown
   * by the handler itself is logged, never lost.
   */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this.exceptionHandler;
    if (handler === null) {
      this.defaultExceptionHandler(context);
      return;
    }
    try {
      handler(this, context);
    } catch (error) {
      this.defaultExceptionHandler({ message: "Unhandled error in exception handler", exception: error, context });
    }
  }

  /**
   * @internal `callSoon` for the library's own hot paths (task steps, future
   * callbacks): no argument array, no checks the callers already made.
   */
  _callSoon(callback: InternalCallback, arg0: unknown, arg1: unknown): void {
    this.checkClosed();
    this.ready.pushCall(callback, arg0, arg1);
    if (this.running && !this.drainScheduled) this.scheduleDrain();
  }

  /**
   * @internal A host callback of the library's is running (a message event, a
   * host timer): the host is taking its turn right now, so work this brings is
   * drained on microtasks, without first yielding a macrotask for the host's sake.
   * Without this, the first work after a wait of more than the slice budget took
   * a detour through the host (about 30 µs on a message, measured): most of what
   * a cancelled remote call's answer cost locally.
   */
  _hostTurn(): void {
    this.sliceStart = this.budgetCheckedAt = host.now();
  }

  /**
   * @internal The running iteration queued host microtasks that must run before
   * the next iteration, as they would with a microtask per iteration (see
   * `drain`): a promise's reactions, messages waiting to be sent.
   */
  _hostMicrotasksQueued(): void {
    this.microtasksWaiting = true;
  }

  /** @internal A scheduled timer was cancelled (lazy removal bookkeeping). */
  _timerCancelled(): void {
    this.cancelledTimers++;
  }

  private scheduleHandle(handle: Handle): Handle {
    this.checkClosed();
    this.ready.pushHandle(handle);
    if (this.running && !this.drainScheduled) this.scheduleDrain();
    return handle;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    if (this.draining) return; // drain runs it, or schedules it when its run ends
    if (this.uncheckedIterations > 0) {
      this.uncheckedIterations--;
      runAsMicrotask(this.drain);
      return;
    }
    const now = host.now();
    if (now - this.sliceStart > SLICE_BUDGET_MS) {
      // Draining on microtasks since longer than the budget (or the first work in a
      // while): continue in a macrotask, so the host's I/O, timers and rendering get
      // a turn. At most one such detour per budget, so it costs nothing measurable.
      host.scheduleMacrotask(this.drainAfterHostTurn);
      return;
    }
    const fast = now - this.budgetCheckedAt < FAST_ITERATION_MS * (UNCHECKED_ITERATIONS + 1);
    this.uncheckedIterations = fast ? UNCHECKED_ITERATIONS : 0;
    this.budgetCheckedAt = now;
    runAsMicrotask(this.drain);
  }

  private readonly drainAfterHostTurn = (): void => {
    this._hostTurn();
    this.drain();
  };

  /**
   * Runs iterations, several in one microtask while they are fast: the unchecked
   * iterations (see `UNCHECKED_ITERATIONS`) run one after another here rather than
   * a microtask each. A microtask per iteration was an eighth of a depth-10 chain
   * of `sleep(0)`s (separate processes, six runs each: 190-199 ns a level, 169-179
   * ns in runs of eight).
   *
   * Host microtasks run between runs, not between the iterations of one. So that
   * async code interleaves with the loop as before, a run is one iteration while a
   * promise between the loop and async code is pending (`_asyncInFlight`), and
   * ends early where an iteration queued microtasks that belong before the next
   * (`_hostMicrotasksQueued`: a promise settled, messages to send). A microtask
   * queued by other code (a coroutine's own `queueMicrotask`) waits at most the
   * rest of the run: a few fast iterations.
   */
  private readonly drain = (): void => {
    this.drainScheduled = false;
    if (!this.running) return;
    this.draining = true;
    try {
      for (;;) {
        this.microtasksWaiting = false;
        this.runOnce();
        if (this.stopping || !this.drainScheduled || this.microtasksWaiting || this._asyncInFlight > 0 || this.uncheckedIterations === 0) break;
        this.uncheckedIterations--;
        this.drainScheduled = false;
      }
    } finally {
      this.draining = false;
      this.drainScheduled = false;
    }
    if (this.stopping) {
      this.finishStop();
    } else if (!this.ready.isEmpty) {
      this.scheduleDrain();
    } else {
      // Idle: the next work may come at any time, so its iteration reads the clock.
      this.uncheckedIterations = 0;
      this.waitForTimers();
    }
  };

  /** One iteration, as asyncio's `_run_once`. */
  private runOnce(): void {
    const timers = this.timers;
    if (this.cancelledTimers > MIN_CANCELLED_TIMERS_TO_COMPACT && this.cancelledTimers * 2 > timers.size) {
      timers.removeCancelled();
      this.cancelledTimers = 0;
    }
    let top = timers.peek();
    if (top !== undefined && !this.surelyNotDue(top._when)) {
      // The clock is read only when a timer may be due: a loop of sleep(0)s has none.
      const now = this.time();
      while (top !== undefined && (top._cancelled || top._when <= now)) {
        timers.pop();
        top._scheduled = false;
        if (top._cancelled) this.cancelledTimers--;
        else this.ready.pushHandle(top);
        top = timers.peek();
      }
    }

    // Only what was ready when the iteration began runs now; callbacks scheduled
    // meanwhile wait for the next iteration (see ReadyQueue).
    this.ready.runBatch(this.runReadyEntry);
  }

  /**
   * Whether a timer at loop time `when` cannot be due yet, known without a clock
   * read: on the host clock, while iterations run unchecked (they were fast, see
   * `UNCHECKED_ITERATIONS`), a deadline more than `TIMER_GRACE_MS` past the last
   * reading. A loop with a deadline pending (a `waitFor`, a long sleep) then reads
   * the clock once in eight iterations, not in each; a timer that falls due while
   * iterations turn slow runs at most that many late.
   */
  private surelyNotDue(when: number): boolean {
    return this.uncheckedIterations > 0 && this.clock === hostClock && when > this.budgetCheckedAt + TIMER_GRACE_MS;
  }

  private readonly runReadyEntry = (batch: unknown[], index: number): void => {
    const started = this._debug ? host.now() : 0;
    try {
      runEntry(batch, index);
    } catch (error) {
      const entry = batch[index];
      this.callExceptionHandler({
        message: `Exception in callback ${describeEntry(batch, index)}`,
        exception: error,
        ...(entry instanceof Handle ? { handle: entry } : {}),
      });
    }
    if (this._debug) {
      const took = host.now() - started;
      if (took >= this.slowCallbackDuration) {
        this.logger.warn(`Executing ${describeEntry(batch, index)} took ${took.toFixed(3)} ms`);
      }
    }
  };

  /** Nothing is ready: arm the host timer for the earliest deadline, or jump virtual time to it. */
  private waitForTimers(): void {
    const timers = this.timers;
    let top = timers.peek();
    while (top !== undefined && top._cancelled) {
      timers.pop();
      top._scheduled = false;
      this.cancelledTimers--;
      top = timers.peek();
    }
    if (top === undefined) return;
    if (this.clock.virtual) {
      (this.virtualJumps ??= new VirtualJumps(this.virtualJump)).request();
      return;
    }
    if (this.hostTimer !== null) {
      if (this.hostTimerDeadline <= top._when) return; // already armed early enough
      clearTimeout(this.hostTimer);
    }
    // Hosts take at most 2^31-1 ms (about 24.8 days); beyond it they fire at once, and
    // re-arming at every such wake would spin. A far or infinite deadline gets the
    // longest timer instead, and is re-armed when that one fires.
    const now = this.time();
    const delay = Math.min(MAX_HOST_DELAY, Math.max(0, Math.ceil(top._when - now)));
    // What the armed timer serves: the deadline, or for a far one the moment it wakes.
    this.hostTimerDeadline = delay < MAX_HOST_DELAY ? top._when : now + delay;
    this.hostTimer = setTimeout(this.onHostTimer, delay);
  }

  private readonly onHostTimer = (): void => {
    this.hostTimer = null;
    this.hostTimerDeadline = Infinity;
    this._hostTurn();
    if (this.running) this.scheduleDrain();
  };

  /** The host's microtasks have settled: move virtual time to the next deadline, if nothing else is to run. */
  private readonly virtualJump = (): boolean => {
    // Work arrived while the host settled its microtasks: time must not move yet.
    if (!this.running || this.drainScheduled || !this.ready.isEmpty) return false;
    const top = this.timers.peek();
    // An infinite deadline is never reached: virtual time waits for other work.
    if (top === undefined || !Number.isFinite(top._when)) return false;
    this.clock.advanceTo!(top._when);
    // This is a macrotask already: the due timers run in it, not a microtask later.
    this.drain();
    return true;
  };

  private finishStop(): void {
    this.stopping = false;
    this.running = false;
    setRunningLoop(null);
    this.watchdog?.stop();
    if (this.hostTimer !== null) {
      clearTimeout(this.hostTimer);
      this.hostTimer = null;
      this.hostTimerDeadline = Infinity;
    }
    const resolve = this.resolveStopped;
    this.resolveStopped = null;
    resolve?.();
  }

  private startWatchdog(): void {
    (this.watchdog ??= new BlockedWatchdog(() => this.blockedThreshold, (message) => this.logger.warn(message))).start();
  }

  /**
   * `callback`, to run in the async context where it is scheduled (see
   * `EventLoopOptions.asyncContext`): the stepping task's, shared, or one captured
   * here. It keeps the callback's name, which the loop's messages show.
   */
  private inAsyncContext<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    const context = this._enteredContext ?? host.captureAsyncContext();
    if (context === null) return callback;
    const name = callback.name;
    return { [name]: (...args: A): void => context.runInAsyncScope(callback, undefined, ...args) }[name]!;
  }

  private checkClosed(): void {
    if (this.closed) throw new RuntimeError("Event loop is closed: it takes no new callbacks, futures or tasks. Start a new one with run().");
  }

  private checkCallback(callback: unknown, method: string): void {
    if (typeof callback !== "function") {
      throw new TypeError(`${method} expects a function to call, got ${describeValue(callback)}`);
    }
  }
}

function requireFutureClasses(): FutureClasses {
  if (futureClasses === null) {
    throw new RuntimeError("Futures are not registered with the loop: import asyncio-ts from its package entry, not loop/ alone.");
  }
  return futureClasses;
}

function describeContextValue(value: unknown): string {
  if (value instanceof Handle) return value._describe();
  if (value !== null && typeof value === "object" && "toString" in value && value.toString !== Object.prototype.toString) {
    return String(value);
  }
  return describeValue(value);
}
