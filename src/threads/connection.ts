import { DataCloneError, NotExposedError, RuntimeError, describeValue } from "../errors.js";
import { type Coro, isCoroutine, isPromiseLike } from "../futures/coroutine.js";
import { Task } from "../futures/task.js";
import type { EventLoop } from "../loop/event-loop.js";
import type { Endpoint } from "../platform/endpoint.js";
import { gather } from "../tasks/gather.js";
import { type Envelope, type Message, type MessageSink, PROTOCOL_TAG, decodeBatch, encodeBatch, isEnvelope, readBatch, writeCall, writeMessage, writeResult } from "./protocol.js";
import { deserializeError, serializeError } from "./serialize-error.js";
import { type CancelChannel, RemoteCallTask } from "./remote-call-task.js";
import { transferablesOf, transferablesOfValue } from "./transfer.js";

/** Functions one side serves to the other, by name. */
export type Exposed = Record<string, (...args: any[]) => unknown>;

const NO_VALUES: readonly unknown[] = [];
/**
 * A batch goes out once it holds this many messages, without waiting for the end
 * of the iteration: the other thread starts on the first part while this one
 * writes the rest. Measured in Node with 64 calls in flight: about 1.6× the
 * throughput of one batch per iteration; 16 was slower again (a post's fixed cost).
 */
const MAX_BATCH = 32;
const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;

/**
 * One end of a two-way call channel between threads, over any `Endpoint`. It calls
 * what the other side exposes — each call a local `Task` whose cancellation is sent
 * across and whose end waits for the remote coroutine to finish unwinding — and
 * serves what this side exposes, each incoming call a `Task` on this thread's loop.
 */
export class Connection implements CancelChannel {
  private nextId = 1;
  private readonly replies = new Map<number, RemoteCallTask<unknown>>();
  private readonly serving = new Map<number, Task<unknown>>();
  private functions: Exposed;
  private failure: Error | null = null;
  private remoteNames: readonly string[] | null = null;
  private readonly readyWaiters: Array<() => void> = [];
  /** This iteration's messages, laid out as the envelope that will carry them. */
  private outbox: Envelope = [PROTOCOL_TAG];
  private outboxTransfers: Transferable[] = [];
  /** How many messages the outbox holds. */
  private outboxCount = 0;
  private flushScheduled = false;
  /** Called when the other side asks this one to close (see `expose`). */
  onCloseRequest: (() => void) | null = null;
  /** Called when the other side says it has closed. */
  onClosed: (() => void) | null = null;
  /** @internal Called each time a call of this side's ends (replied, failed, cancelled): a slot is free (see WorkerPool). */
  onReplySettled: (() => void) | null = null;

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
    const call = new RemoteCallTask<T>(this.loop, name, args);
    try {
      this.send(call as RemoteCallTask<unknown>);
    } catch (error) {
      call._discard(error); // the caller gets the error thrown; no task is left pending
      throw error;
    }
    return call;
  }

  /**
   * @internal Sends a call made beforehand (a pool's queued call) and waits for its reply
   * through `call` itself. Throws, sending nothing, when the other side is gone or
   * an argument obviously cannot be cloned.
   */
  send(call: RemoteCallTask<unknown>): void {
    if (this.failure !== null) throw this.failure;
    if (!this.loop.isRunning()) {
      throw new RuntimeError("Calls to another thread need a running event loop on this thread: make them inside run().");
    }
    const id = this.nextId++;
    const refused = uncloneableIndex(call.args);
    if (refused >= 0) throw cloneRefusal({ kind: "call", id, name: call.callName, args: call.args }, call.args[refused]);
    // Registered before it is queued: queueing may send at once (a full batch, moved
    // buffers), and a clone failure found then must find the call to fail it.
    call._sentOn = this;
    call._id = id;
    this.replies.set(id, call);
    writeCall(this.outbox, id, call.callName, call.args);
    this.queued(transferablesOf(call.args));
  }

  /** @internal Asks the other side to cancel the call `id` (see RemoteCallTask). */
  _requestCancel(id: number, message: string): void {
    if (this.failure === null) this.post({ kind: "cancel", id, message });
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

  /** Tells the other side this one has closed, at once (the thread is about to end). */
  announceClosed(): void {
    this.post({ kind: "closed" });
    this.flush();
  }

  /** Cancels every call being served here and waits until they have unwound. */
  *cancelServing(): Coro<void> {
    const tasks = [...this.serving.values()];
    for (const task of tasks) task.cancel("the worker is closing");
    if (tasks.length > 0) yield* gather(...tasks, { returnExceptions: true });
  }

  /** How many calls this side made that still await a reply. */
  get busy(): number {
    return this.replies.size;
  }

  /** How many calls from the other side this side is running. */
  get servingCount(): number {
    return this.serving.size;
  }

  /** Fails every pending call with `error` and refuses new ones (the other side died). */
  fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.endpoint.removeEventListener("message", this.onMessage);
    for (const reply of this.replies.values()) if (!reply.done() && !this.loop.isClosed()) reply._reject(error);
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

  private readonly onMessage = (event: { data: unknown }): void => {
    if (!isEnvelope(event.data) || this.loop.isClosed()) return;
    readBatch(event.data, this.sink);
  };

  /** Calls and results arrive as their fields, without a message object each. */
  private readonly sink: MessageSink = {
    call: (id, name, args) => this.serve(id, name, args),
    result: (id, value) => this.settleResult(id, value),
    other: (message) => this.receiveMessage(message),
  };

  /** Messages other than calls and results (those come to `sink` as their fields). */
  private receiveMessage(message: Message): void {
    switch (message.kind) {
      case "cancel":
        this.serving.get(message.id)?.cancel(message.message);
        break;
      case "soon":
        this.runSoon(message.name, message.args);
        break;
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
  }

  private settleResult(id: number, value: unknown): void {
    const reply = this.takeReply(id);
    if (reply !== undefined && !reply.done()) reply._resolve(value);
  }

  private settle(message: Extract<Message, { kind: "error" | "cancelled" }>): void {
    const reply = this.takeReply(message.id);
    if (reply === undefined || reply.done()) return;
    if (message.kind === "error") reply._reject(deserializeError(message.error));
    else reply._remoteCancelled(message.message);
  }

  /** Removes the pending call `id` and says that a slot is free. */
  private takeReply(id: number): RemoteCallTask<unknown> | undefined {
    const reply = this.replies.get(id);
    if (reply !== undefined) {
      this.replies.delete(id);
      this.onReplySettled?.();
    }
    return reply;
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
    if (fn instanceof GeneratorFunction) {
      // A coroutine: cancellable at every yield*.
      this.serveTask(id, new Task(fn(...args) as Coro<unknown>, this.loop, { name: `${name}#${id} (served)` }));
    } else if (fn instanceof AsyncFunction) {
      // An async function: cancellable through the AbortSignal it gets last.
      this.serveTask(id, new Task((signal: AbortSignal) => fn(...args, signal) as PromiseLike<unknown>, this.loop, { name: `${name}#${id} (served)` }));
    } else {
      // A plain function runs on the next iteration, in arrival order with the rest,
      // without a task of its own (nor a handle or closure: this is the hot path of
      // small calls); a promise or coroutine it returns is awaited.
      this.loop._callSoon(this.servePlain, { id, name, args }, fn);
    }
  }

  private readonly servePlain = (call: { id: number; name: string; args: readonly unknown[] }, fn: (...args: any[]) => unknown): void => {
    const { id, name, args } = call;
    let outcome: unknown;
    try {
      outcome = fn(...args);
    } catch (error) {
      this.post({ kind: "error", id, error: serializeError(error) });
      return;
    }
    if (isCoroutine(outcome) || isPromiseLike(outcome)) {
      this.serveTask(id, new Task(isCoroutine(outcome) ? outcome : () => outcome as PromiseLike<unknown>, this.loop, { name: `${name}#${id} (served)` }));
    } else {
      this.replyValue(id, outcome);
    }
  };

  private serveTask(id: number, task: Task<unknown>): void {
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
    this.replyValue(id, task.result());
  }

  private replyValue(id: number, value: unknown): void {
    if (typeof value === "function" || typeof value === "symbol") {
      this.post({ kind: "error", id, error: serializeError(cloneRefusal({ kind: "result", id, value }, value)) });
      return;
    }
    writeResult(this.outbox, id, value);
    this.queued(transferablesOfValue(value));
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

  /**
   * Queues a message for the other side; the messages of one iteration go out
   * together at the next microtask (in batches of at most MAX_BATCH). A value
   * that obviously cannot be cloned (a function, a symbol) is refused here with a
   * `DataCloneError` naming it.
   */
  private post(message: Message, values: readonly unknown[] = NO_VALUES): void {
    const refused = uncloneableIndex(values);
    if (refused >= 0) throw cloneRefusal(message, values[refused]);
    writeMessage(this.outbox, message);
    this.queued(transferablesOf(values));
  }

  /** A message was written to the outbox: send it with the rest of this iteration's (now, if it moves buffers). */
  private queued(transfers: readonly Transferable[]): void {
    if (transfers.length > 0) {
      // Moved buffers must be gone from this thread when the call returns: send now.
      for (const transferable of transfers) this.outboxTransfers.push(transferable);
      this.flush();
      return;
    }
    if (++this.outboxCount >= MAX_BATCH) {
      this.flush();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushScheduledMessages);
    }
  }

  private readonly flushScheduledMessages = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    const envelope = this.outbox;
    const transfers = this.outboxTransfers;
    if (envelope.length === 1) return; // the tag alone: nothing to send
    this.outbox = [PROTOCOL_TAG];
    this.outboxTransfers = [];
    this.outboxCount = 0;
    try {
      this.endpoint.postMessage(envelope, transfers);
    } catch (error) {
      if (!isCloneFailure(error)) throw error;
      // Something deep inside a value could not be cloned: find which message, and
      // fail only that one.
      decodeBatch(envelope, (message) => {
        try {
          this.endpoint.postMessage(encodeBatch([message]), transfersOf(message));
        } catch (single) {
          if (!isCloneFailure(single)) throw single;
          this.undeliverable(message, new DataCloneError(describeCloneFailure(message, single), { cause: single }));
        }
      });
    }
  }

  /** A message that could not be cloned: its call fails here, or its result becomes an error there. */
  private undeliverable(message: Message, error: DataCloneError): void {
    if (message.kind === "call") {
      const reply = this.takeReply(message.id);
      if (reply !== undefined && !reply.done()) reply._reject(error);
    } else if (message.kind === "result") {
      this.post({ kind: "error", id: message.id, error: serializeError(error) });
    } else {
      this.loop.callExceptionHandler({ message: `asyncio-ts could not send a "${message.kind}" message to the other thread`, exception: error });
    }
  }
}

function transfersOf(message: Message): Transferable[] {
  if (message.kind === "call" || message.kind === "soon") return [...transferablesOf(message.args)];
  if (message.kind === "result") return [...transferablesOf([message.value])];
  return [];
}

/** The index of the first value that obviously cannot be cloned (a function, a symbol), or -1. */
function uncloneableIndex(values: readonly unknown[]): number {
  for (let i = 0; i < values.length; i++) {
    const type = typeof values[i];
    if (type === "function" || type === "symbol") return i;
  }
  return -1;
}

/** The error for a message refused before sending because `value` cannot be cloned. */
function cloneRefusal(message: Message, value: unknown): DataCloneError {
  return new DataCloneError(describeCloneFailure(message, new Error(`${describeValue(value)} could not be cloned`)));
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

