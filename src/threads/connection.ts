import { CancelledError, DataCloneError, NotExposedError, RuntimeError, describeValue } from "../errors.js";
import type { Coro } from "../futures/coroutine.js";
import type { Future } from "../futures/future.js";
import { Task } from "../futures/task.js";
import type { EventLoop } from "../loop/event-loop.js";
import type { Endpoint } from "../platform/endpoint.js";
import { gather } from "../tasks/gather.js";
import { shield } from "../tasks/shield.js";
import { type Envelope, type Message, PROTOCOL_TAG, isEnvelope } from "./protocol.js";
import { deserializeError, serializeError } from "./serialize-error.js";
import { transferablesOf } from "./transfer.js";

/** Functions one side serves to the other, by name. */
export type Exposed = Record<string, (...args: any[]) => unknown>;

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;

/**
 * One end of a two-way call channel between threads, over any `Endpoint`. It calls
 * what the other side exposes — each call a local `Task` whose cancellation is sent
 * across and whose end waits for the remote coroutine to finish unwinding — and
 * serves what this side exposes, each incoming call a `Task` on this thread's loop.
 */
export class Connection {
  private nextId = 1;
  private readonly replies = new Map<number, Future<unknown>>();
  private readonly serving = new Map<number, Task<unknown>>();
  private functions: Exposed;
  private failure: Error | null = null;
  private remoteNames: readonly string[] | null = null;
  private readonly readyWaiters: Array<() => void> = [];
  /** Called when the other side asks this one to close (see `expose`). */
  onCloseRequest: (() => void) | null = null;
  /** Called when the other side says it has closed. */
  onClosed: (() => void) | null = null;

  constructor(
    private readonly endpoint: Endpoint,
    readonly loop: EventLoop,
    functions: Exposed = {},
  ) {
    this.functions = functions;
    endpoint.addEventListener("message", this.onMessage);
    endpoint.start?.();
  }

  /** Serves `functions` to the other side (replacing what was served). */
  expose(functions: Exposed): void {
    this.functions = functions;
  }

  /** Tells the other side which names this side serves. */
  announce(): void {
    this.post({ kind: "ready", names: Object.keys(this.functions) });
  }

  /** The names the other side announced, once it did. */
  get exposedByPeer(): readonly string[] | null {
    return this.remoteNames;
  }

  /**
   * Calls `name` on the other side and returns a local task for its result.
   * Cancelling the task cancels the remote call; the task ends once the remote
   * coroutine has finished unwinding. A non-cloneable argument throws
   * `DataCloneError` here, and nothing is sent.
   */
  call<T>(name: string, args: readonly unknown[]): Task<T> {
    if (this.failure !== null) throw this.failure;
    if (!this.loop.isRunning()) {
      throw new RuntimeError("Calls to another thread need a running event loop on this thread: make them inside run().");
    }
    const id = this.nextId++;
    this.post({ kind: "call", id, name, args }, args);
    const reply = this.loop.createFuture<T>();
    this.replies.set(id, reply as Future<unknown>);
    // Eager: the task is waiting on the reply before anyone can cancel it, so a
    // cancel always reaches the remote side.
    return new Task(this.awaitReply(id, reply), this.loop, { name: `${name}#${id}`, eager: true });
  }

  /** Runs `name` on the other side soon, with no reply (errors go to that side's exception handler). */
  callSoon(name: string, args: readonly unknown[]): void {
    if (this.failure !== null) throw this.failure;
    this.post({ kind: "soon", name, args }, args);
  }

  /** Asks the other side to close gracefully. */
  requestClose(): void {
    if (this.failure === null) this.post({ kind: "close" });
  }

  /** Tells the other side this one has closed. */
  announceClosed(): void {
    this.post({ kind: "closed" });
  }

  /** Cancels every call being served here and waits until they have unwound. */
  *cancelServing(): Coro<void> {
    const tasks = [...this.serving.values()];
    for (const task of tasks) task.cancel("the worker is closing");
    if (tasks.length > 0) yield* gather(...tasks, { returnExceptions: true });
  }

  /** Whether calls are in flight in either direction. */
  get busy(): number {
    return this.replies.size;
  }

  /** Fails every pending call with `error` and refuses new ones (the other side died). */
  fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.endpoint.removeEventListener("message", this.onMessage);
    for (const reply of this.replies.values()) if (!reply.done() && !this.loop.isClosed()) reply.setException(error);
    this.replies.clear();
    for (const task of this.serving.values()) task.cancel("the other thread is gone");
    for (const waiter of this.readyWaiters.splice(0)) waiter();
  }

  /** Waits until the other side announced what it exposes. */
  whenReady(): Promise<void> {
    if (this.remoteNames !== null || this.failure !== null) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Stops listening (after a close). */
  dispose(): void {
    this.endpoint.removeEventListener("message", this.onMessage);
  }

  private *awaitReply<T>(id: number, reply: Future<T>): Coro<T> {
    let cancelSent = false;
    for (;;) {
      try {
        return yield* shield(reply);
      } catch (error) {
        // The remote outcome (a result, an error, or its own cancellation) decides.
        if (reply.done()) return reply.result();
        if (!(error instanceof CancelledError)) throw error;
        // This task is being cancelled: pass it on, then wait for the remote to unwind.
        if (!cancelSent && this.failure === null) {
          cancelSent = true;
          this.post({ kind: "cancel", id, message: error.message });
        }
      }
    }
  }

  private readonly onMessage = (event: { data: unknown }): void => {
    if (!isEnvelope(event.data)) return;
    const message = event.data[PROTOCOL_TAG];
    if (this.loop.isClosed()) return;
    switch (message.kind) {
      case "call":
        this.serve(message.id, message.name, message.args);
        break;
      case "cancel":
        this.serving.get(message.id)?.cancel(message.message);
        break;
      case "soon":
        this.runSoon(message.name, message.args);
        break;
      case "result":
      case "error":
      case "cancelled":
        this.settle(message);
        break;
      case "ready":
        this.remoteNames = message.names;
        for (const waiter of this.readyWaiters.splice(0)) waiter();
        break;
      case "close":
        this.onCloseRequest?.();
        break;
      case "closed":
        this.onClosed?.();
        break;
    }
  };

  private settle(message: Extract<Message, { kind: "result" | "error" | "cancelled" }>): void {
    const reply = this.replies.get(message.id);
    if (reply === undefined) return;
    this.replies.delete(message.id);
    if (reply.done()) return;
    if (message.kind === "result") reply.setResult(message.value);
    else if (message.kind === "error") reply.setException(deserializeError(message.error));
    else reply.cancel(message.message);
  }

  private serve(id: number, name: string, args: readonly unknown[]): void {
    const fn = this.functions[name];
    if (typeof fn !== "function" || !Object.hasOwn(this.functions, name)) {
      const names = Object.keys(this.functions);
      const error = new NotExposedError(
        `No function "${name}" is exposed on this thread; it exposes ${names.length ? names.map((n) => `"${n}"`).join(", ") : "nothing"}.`,
      );
      this.post({ kind: "error", id, error: serializeError(error) });
      return;
    }
    // A generator function is a coroutine (cancelled at its yield*); anything else
    // gets an AbortSignal as its last argument.
    const body = fn instanceof GeneratorFunction ? (fn(...args) as Coro<unknown>) : (signal: AbortSignal) => fn(...args, signal) as PromiseLike<unknown>;
    const task = new Task(body, this.loop, { name: `${name}#${id} (served)` });
    this.serving.set(id, task);
    task.addDoneCallback(() => {
      this.serving.delete(id);
      this.reply(id, task);
    });
  }

  private reply(id: number, task: Task<unknown>): void {
    if (this.failure !== null) return;
    if (task.cancelled()) {
      let message = "";
      try {
        task.result();
      } catch (error) {
        message = (error as Error).message;
      }
      this.post({ kind: "cancelled", id, message });
      return;
    }
    const error = task.exception();
    if (error !== undefined) {
      this.post({ kind: "error", id, error: serializeError(error) });
      return;
    }
    const value = task.result();
    try {
      this.post({ kind: "result", id, value }, [value]);
    } catch (cloneError) {
      this.post({ kind: "error", id, error: serializeError(cloneError) });
    }
  }

  private runSoon(name: string, args: readonly unknown[]): void {
    const fn = this.functions[name];
    if (typeof fn !== "function") {
      this.loop.callExceptionHandler({ message: `callSoonThreadsafe: no function "${name}" is exposed on this thread`, exception: new NotExposedError(name) });
      return;
    }
    this.loop.callSoon(() => {
      const outcome = fn(...args);
      // A coroutine runs as a task; its errors reach this loop's exception handler.
      if (outcome instanceof Object && typeof (outcome as Coro<unknown>).next === "function" && typeof (outcome as Coro<unknown>).throw === "function") {
        new Task(outcome as Coro<unknown>, this.loop, { name: `${name} (soon)` });
      }
    });
  }

  /** Posts a message; a value that cannot be cloned becomes a `DataCloneError` naming it. */
  private post(message: Message, values: readonly unknown[] = []): void {
    const envelope: Envelope = { [PROTOCOL_TAG]: message };
    try {
      this.endpoint.postMessage(envelope, transferablesOf(values));
    } catch (error) {
      if (!isCloneFailure(error)) throw error;
      throw new DataCloneError(describeCloneFailure(message, error), { cause: error });
    }
  }
}

function isCloneFailure(error: unknown): boolean {
  return typeof error === "object" && error !== null && ((error as Error).name === "DataCloneError" || /could not be cloned/i.test((error as Error).message));
}

/** Finds which argument (or the result) could not be cloned. */
function describeCloneFailure(message: Message, error: unknown): string {
  const detail = (error as Error).message;
  if (message.kind === "call" || message.kind === "soon") {
    const index = message.args.findIndex((arg) => !canClone(arg));
    const which = index >= 0 ? `argument ${index + 1} (${describeValue(message.args[index])})` : "an argument";
    return `Cannot send ${which} of ${message.name}() to the other thread: ${detail}. Only structured-cloneable values cross threads.`;
  }
  return `Cannot send the result to the other thread: ${detail}. Return a structured-cloneable value.`;
}

function canClone(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

