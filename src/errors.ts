/**
 * Every error class of asyncio-ts. Each sets `name`, so errors keep their
 * identity in logs and when they cross a thread boundary.
 *
 * @module
 */

/**
 * Base of the library's errors. Catch it to tell asyncio-ts failures from others.
 *
 * @example
 * ```ts
 * try { loop.callSoon(cb); } catch (e) { if (e instanceof AsyncioError) report(e); }
 * ```
 */
export class AsyncioError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Thrown into a coroutine at its current `yield*` when its task is cancelled, and
 * raised by `result()` of a cancelled future. Catching it is allowed; a coroutine
 * that swallows it should call `currentTask().uncancel()` (asyncio's rule).
 *
 * One the library makes for a cancellation has no stack trace outside debug mode:
 * the trace would show where the loop made it, not where the coroutine waited, and
 * capturing it is most of what a cancellation costs. Debug mode keeps the traces.
 *
 * @example
 * ```ts
 * const t = createTask(sleep(1000));
 * t.cancel("no longer needed");
 * try { yield* t; } catch (e) { if (e instanceof CancelledError) console.log(e.message); }
 * ```
 */
export class CancelledError extends AsyncioError {}

/**
 * Raised when a deadline passes: by `waitFor`, `timeout`, `wait`/`asCompleted` with
 * a timeout.
 *
 * @example
 * ```ts
 * try { yield* waitFor(sleep(1000), 10); } catch (e) { if (e instanceof TimeoutError) retry(); }
 * ```
 */
export class TimeoutError extends AsyncioError {}

/**
 * A future or task was used in a state that does not allow the operation
 * (`setResult` on a done future, `result()` before it is done).
 *
 * @example
 * ```ts
 * const f = loop.createFuture<number>();
 * f.setResult(1);
 * f.setResult(2); // throws InvalidStateError
 * ```
 */
export class InvalidStateError extends AsyncioError {}

/**
 * A misuse at run time that is not about a single future's state: `run()` inside a
 * running loop, a closed loop, releasing a lock that is not held.
 *
 * @example
 * ```ts
 * await run(function* () { yield* ensureFuture(run(main())); }()); // RuntimeError
 * ```
 */
export class RuntimeError extends AsyncioError {}

/**
 * An argument has the right type but a value that is not allowed (a negative
 * semaphore value, over-releasing a `BoundedSemaphore`).
 *
 * @example
 * ```ts
 * new Semaphore(-1); // ValueError
 * ```
 */
export class ValueError extends AsyncioError {}

/**
 * Several errors raised together, as Python's `ExceptionGroup`: a `TaskGroup` whose
 * children failed throws one. It is an `AggregateError`, so `errors` lists them;
 * `exceptions` is the same list under asyncio's name.
 *
 * @example
 * ```ts
 * try { yield* taskGroup(function* (tg) { tg.createTask(a()); tg.createTask(b()); }); }
 * catch (e) { if (e instanceof ExceptionGroup) for (const err of e.exceptions) console.log(err); }
 * ```
 */
export class ExceptionGroup extends AggregateError {
  /** The grouped errors, in the order they happened. */
  readonly exceptions: readonly unknown[];

  constructor(message: string, exceptions: readonly unknown[]) {
    if (exceptions.length === 0) {
      throw new ValueError("ExceptionGroup needs at least one exception; an empty group means nothing failed.");
    }
    super(exceptions, message);
    this.name = "ExceptionGroup";
    this.exceptions = exceptions;
  }

  /**
   * Splits the group by a predicate, as Python's `ExceptionGroup.split`.
   * Returns `[matching, rest]`, each a group or `undefined` when empty.
   *
   * @example
   * ```ts
   * const [timeouts, others] = group.split((e) => e instanceof TimeoutError);
   * ```
   */
  split(predicate: (error: unknown) => boolean): [ExceptionGroup | undefined, ExceptionGroup | undefined] {
    const matching = this.exceptions.filter(predicate);
    const rest = this.exceptions.filter((e) => !predicate(e));
    return [
      matching.length ? new ExceptionGroup(this.message, matching) : undefined,
      rest.length ? new ExceptionGroup(this.message, rest) : undefined,
    ];
  }
}

/** Describes a value in an error message without dumping it whole. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return `function ${ownName(value) || "(anonymous)"}`;
  if (typeof value === "object") {
    const name = ownName(constructorOf(value));
    return name ? `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}` : "an object";
  }
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  return `${typeof value} ${String(value)}`;
}

/**
 * The constructor of `value` without running any of its code: a hostile getter or a
 * proxy must not be able to throw from inside an error message.
 */
function constructorOf(value: object): unknown {
  try {
    let proto = Object.getPrototypeOf(value);
    while (proto !== null) {
      const own = Object.getOwnPropertyDescriptor(proto, "constructor");
      if (own !== undefined) return "value" in own ? own.value : undefined;
      proto = Object.getPrototypeOf(proto);
    }
  } catch {
    // a proxy's trap threw
  }
  return undefined;
}

function ownName(fn: unknown): string {
  if (typeof fn !== "function") return "";
  try {
    const own = Object.getOwnPropertyDescriptor(fn, "name");
    return own !== undefined && typeof own.value === "string" ? own.value : "";
  } catch {
    return ""; // a proxy's trap threw
  }
}

/**
 * A `Barrier` was aborted or reset while tasks waited on it (asyncio's
 * `BrokenBarrierError`).
 *
 * @example
 * ```ts
 * try { yield* barrier.wait(); } catch (e) { if (e instanceof BrokenBarrierError) giveUp(); }
 * ```
 */
export class BrokenBarrierError extends AsyncioError {}

/**
 * `getNowait()` on an empty queue.
 *
 * @example
 * ```ts
 * try { queue.getNowait(); } catch (e) { if (e instanceof QueueEmpty) idle(); }
 * ```
 */
export class QueueEmpty extends AsyncioError {}

/**
 * `putNowait()` on a full queue.
 *
 * @example
 * ```ts
 * try { queue.putNowait(job); } catch (e) { if (e instanceof QueueFull) reject(job); }
 * ```
 */
export class QueueFull extends AsyncioError {}

/**
 * The queue was shut down: `put` always fails; `get` fails once the queue is empty
 * (at once after `shutdown(true)`), as asyncio 3.13's `QueueShutDown`.
 *
 * @example
 * ```ts
 * try { for (;;) handle(yield* queue.get()); } catch (e) { if (!(e instanceof QueueShutDown)) throw e; }
 * ```
 */
export class QueueShutDown extends AsyncioError {}

/**
 * A worker died — it threw at top level, exited, or was terminated — while calls
 * were pending: every one of them fails with this at once.
 *
 * @example
 * ```ts
 * try { yield* worker.api.compute(data); }
 * catch (e) { if (e instanceof WorkerCrashedError) console.log(e.exitCode, e.cause); }
 * ```
 */
export class WorkerCrashedError extends AsyncioError {
  /** The worker's exit code, when it exited. */
  readonly exitCode: number | undefined;

  constructor(message: string, options?: ErrorOptions & { exitCode?: number }) {
    super(message, options);
    this.exitCode = options?.exitCode;
  }
}

/**
 * A thread ended while it held a `ThreadSafeLock` (like a robust mutex's
 * `EOWNERDEAD`): what the lock guarded may be half-updated. Every `acquire()`, on
 * every thread, fails with this until some thread checks the guarded state and
 * calls `lock.recover()`. (A lock made with `onOwnerDeath: "release"` is simply
 * released instead.)
 *
 * @example
 * ```ts
 * try { yield* lock.acquire(); }
 * catch (e) { if (e instanceof LockOwnerDiedError) { repair(); lock.recover(); } }
 * ```
 */
export class LockOwnerDiedError extends AsyncioError {}

/**
 * A value could not be sent to another thread (structured clone refused it). The
 * message names the argument; the call never left.
 *
 * @example
 * ```ts
 * worker.call("save", { callback: () => {} }); // DataCloneError: argument 1 ...
 * ```
 */
export class DataCloneError extends AsyncioError {}

/**
 * The other thread exposes no function of that name; the message lists what it
 * exposes.
 *
 * @example
 * ```ts
 * try { yield* worker.call("fibb", 10); } catch (e) { if (e instanceof NotExposedError) console.log(e.message); }
 * ```
 */
export class NotExposedError extends AsyncioError {}

/**
 * A message from another thread did not follow asyncio-ts's protocol (a forged,
 * truncated or corrupted message, or another version of the library on the other
 * side). It is never thrown at you: the message is dropped and this error is
 * reported to the receiving loop's exception handler, naming the peer.
 *
 * @example
 * ```ts
 * loop.setExceptionHandler((loop, context) => {
 *   if (context.exception instanceof ProtocolError) console.warn("a worker sent garbage:", context.message);
 * });
 * ```
 */
export class ProtocolError extends AsyncioError {}

/**
 * The stream ended before the expected bytes arrived (`readexactly`, `readuntil`).
 * `partial` holds what was read; `expected` the size asked for (`null` for
 * `readuntil`).
 *
 * @example
 * ```ts
 * try { yield* reader.readexactly(4); } catch (e) { if (e instanceof IncompleteReadError) console.log(e.partial); }
 * ```
 */
export class IncompleteReadError extends AsyncioError {
  constructor(
    /** The bytes read before the stream ended. */
    readonly partial: Uint8Array,
    /** How many bytes were asked for (`null` for `readuntil`). */
    readonly expected: number | null,
  ) {
    super(`${partial.length} bytes read on a total of ${expected === null ? "undefined" : expected} expected bytes: the stream ended first`);
  }
}

/**
 * A separator was not found within the reader's `limit` bytes. The data stays in the
 * buffer; `consumed` says how many bytes could be consumed.
 *
 * @example
 * ```ts
 * try { yield* reader.readuntil("\n"); } catch (e) { if (e instanceof LimitOverrunError) yield* reader.readexactly(e.consumed); }
 * ```
 */
export class LimitOverrunError extends AsyncioError {
  constructor(
    message: string,
    /** How many bytes were searched without finding the separator (they stay buffered). */
    readonly consumed: number,
  ) {
    super(message);
  }
}

/**
 * A connection failed (Python's `ConnectionError`); the message names the address.
 *
 * @example
 * ```ts
 * try { yield* openConnection("127.0.0.1", 1); } catch (e) { if (e instanceof ConnectionError) retryLater(); }
 * ```
 */
export class ConnectionError extends AsyncioError {
  /** The system error code (`ECONNREFUSED`, `ECONNRESET`, …) when there is one. */
  readonly code: string | undefined;

  constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options);
    this.code = options?.code;
  }
}

/** Nothing listens at the address. @example `openConnection("127.0.0.1", 1)` */
export class ConnectionRefusedError extends ConnectionError {}

/** The peer reset the connection. @example `yield* reader.read()` after the peer crashed */
export class ConnectionResetError extends ConnectionError {}

/** The host name could not be resolved (Python's `socket.gaierror`). @example `openConnection("no-such-host.invalid", 80)` */
export class HostNotFoundError extends ConnectionError {}

/** The TLS handshake or certificate check failed (Python's `ssl.SSLError`). @example `openConnection(host, 443, { ssl: {} })` to a self-signed server */
export class SSLError extends ConnectionError {}
