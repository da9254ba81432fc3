import { CancelledError, DataCloneError, NotExposedError, ProtocolError, RuntimeError, describeValue } from "../errors.js";
import { type Coro, isCoroutine, isPromiseLike } from "../futures/coroutine.js";
import type { Future } from "../futures/future.js";
import { Task } from "../futures/task.js";
import type { EventLoop } from "../loop/event-loop.js";
import type { TimerHandle } from "../loop/handles.js";
import type { Endpoint } from "../platform/endpoint.js";
import { gather } from "../tasks/gather.js";
import { type Envelope, type Message, type MessageSink, PROTOCOL_TAG, decodeBatch, encodeBatch, isEnvelope, isForeignVersion, readBatch, writeCall, writeMessage, writeResult } from "./protocol.js";
import { type Exposed, type Served, ServedFunctions } from "./served-functions.js";
import { deserializeError, serializeError } from "./serialize-error.js";
import { type CancelChannel, RemoteCallTask } from "./remote-call-task.js";
import { ServedLater } from "./served-later.js";
import { transferablesOf, transferablesOfValue } from "./transfer.js";
import { checkString } from "../validate.js";
import type { TransferableObject } from "../platform/endpoint.js";
import { abandonHandled, deserializeHandled, discardHandled, isHandled, deserializeHandledValue, nestedHandled, serializeHandled, serializeHandledValue } from "./transfer-handlers.js";
import { runAsMicrotask } from "../loop/microtask.js";

export type { Exposed } from "./served-functions.js";

const NO_VALUES: readonly unknown[] = [];
const NO_TREE = {
  gone: { status: "gone", tree: null },
  unresponsive: { status: "unresponsive", tree: null },
  refused: { status: "refused", tree: null },
} as const satisfies Record<string, TreeAnswer>;

/** Per loop, the connections to threads this one started (workers, pools): where a task tree looks. */
const treePeers = new WeakMap<EventLoop, Set<Connection>>();

/** @internal The connections of `loop` a cross-thread task tree asks (see task-tree.ts). */
export function taskTreePeers(loop: EventLoop): readonly Connection[] {
  return [...(treePeers.get(loop) ?? [])];
}

/** @internal What answers the other side's request for this thread's task tree (set by `expose`). */
export type TreeResponder = (asker: Connection, timeout: number) => Coro<unknown>;

/**
 * @internal What came of asking another thread for its task tree: its answer
 * (untrusted: only the thread that started the capture checks it, see
 * task-tree-input.ts), or why there is none.
 */
export type TreeAnswer =
  | { readonly status: "answered"; readonly tree: unknown }
  | { readonly status: "unresponsive" | "gone" | "refused"; readonly tree: null };
/**
 * A batch goes out once it holds this many messages, without waiting for the end
 * of the iteration: the other thread starts on the first part while this one
 * writes the rest. Measured in Node with 64 calls in flight: about 1.6× the
 * throughput of one batch per iteration; 16 was slower again (a post's fixed cost).
 */
const MAX_BATCH = 32;
/** The longest another thread may make this one spend gathering its task tree (ms). */
const MAX_TREE_TIMEOUT = 10_000;

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
  private readonly functions: ServedFunctions;
  /** Who is on the other side, for reports. */
  readonly peerName: string;
  /** See `setCancelGrace`. */
  private cancelGrace: number | null = null;
  private onCancelOverdue: (() => void) | null = null;
  /** The grace timers of calls whose cancellation was sent (only with a grace). */
  private graceTimers: Map<number, TimerHandle> | null = null;
  private failure: Error | null = null;
  private remoteNames: readonly string[] | null = null;
  private readonly readyWaiters: Array<() => void> = [];
  /** Told when the other side is gone (thread-safe primitives sent on this connection). */
  private goneListeners: Set<() => void> | null = null;
  /** This iteration's messages, laid out as the envelope that will carry them. */
  private outbox: Envelope = [PROTOCOL_TAG];
  private outboxTransfers: TransferableObject[] = [];
  /** How many messages the outbox holds. */
  private outboxCount = 0;
  private flushScheduled = false;
  /** Called when the other side asks this one to close (see `expose`). */
  onCloseRequest: (() => void) | null = null;
  /** Called when the other side says it has closed. */
  onClosed: (() => void) | null = null;
  /** @internal Called each time a call of this side's ends (replied, failed, cancelled): a slot is free (see WorkerPool). */
  onReplySettled: (() => void) | null = null;
  /** @internal Answers the other side's task-tree requests; `null`: this side does not share its tasks. */
  treeResponder: TreeResponder | null = null;
  /** Task trees asked of the other side, by request id. */
  /** @internal The other side is a worker this thread started (a `ThreadChannel`). */
  readonly _toChild: boolean;
  private readonly treeAsks = new Map<number, Future<TreeAnswer>>();
  private nextTreeId = 1;
  /** The other side's task-tree requests the answer being built will go to; null when none is. */
  private treeAnswerIds: number[] | null = null;

  constructor(
    private readonly endpoint: Endpoint,
    /** The loop this side's calls and served tasks run on. */
    readonly loop: EventLoop,
    functions: Exposed | ServedFunctions = {},
    options: { peerName?: string; inTaskTree?: boolean; toChild?: boolean } = {},
  ) {
    this.functions = functions instanceof ServedFunctions ? functions : new ServedFunctions(functions);
    this.peerName = options.peerName ?? "the other thread";
    this._toChild = options.toChild === true;
    if (options.inTaskTree === true) {
      let peers = treePeers.get(loop);
      if (peers === undefined) treePeers.set(loop, (peers = new Set()));
      peers.add(this);
    }
    endpoint.addEventListener("message", this.onMessage);
    endpoint.start?.();
  }

  /** Tells the other side which names this side serves. */
  announce(): void {
    this.post({ kind: "ready", names: this.functions.names() });
  }

  /**
   * @internal After a call's cancellation is sent, wait `ms` for the other side to
   * finish unwinding it; past that, the call ends cancelled here and `overdue` is
   * called (a worker handle terminates its worker). `null`: wait as long as it takes.
   */
  setCancelGrace(ms: number | null, overdue: () => void): void {
    this.cancelGrace = ms;
    this.onCancelOverdue = overdue;
  }

  /** The names the other side announced, once it did. */
  get exposedByPeer(): readonly string[] | null {
    return this.remoteNames;
  }

  /**
   * Calls `name` on the other side and returns a local task for its result.
   * Cancelling the task cancels the remote call; the task ends once the remote
   * coroutine has finished unwinding. Whatever goes wrong on the way — the other
   * side is gone, an argument cannot be cloned — fails the task, never this call:
   * UI code has one place to handle errors.
   */
  call<T>(name: string, args: readonly unknown[]): Task<T> {
    checkString(name, "a call to another thread: the function name");
    this.checkLoopRunning();
    const call = new RemoteCallTask<T>(this.loop, name, args);
    this.send(call as RemoteCallTask<unknown>);
    return call;
  }

  /**
   * @internal Sends a call made beforehand (a pool's queued call); the reply ends it.
   * When the other side is gone or an argument cannot be cloned, the call fails
   * at once and nothing is sent.
   */
  send(call: RemoteCallTask<unknown>): void {
    if (this.failure !== null) {
      call._reject(this.failure);
      return;
    }
    this.checkLoopRunning();
    const id = this.nextId++;
    const refused = uncloneableIndex(call.args);
    if (refused >= 0) {
      call._reject(cloneRefusal({ kind: "call", id, name: call.callName, args: call.args }, call.args[refused]));
      return;
    }
    // Registered before it is queued: queueing may send at once (a full batch, moved
    // buffers), and a clone failure found then must find the call to fail it.
    // Thread-safe primitives among the arguments travel as ports (transfer-handlers.ts).
    let args: readonly unknown[];
    try {
      args = serializeHandled(call.args, this);
    } catch (error) {
      call._reject(error);
      return;
    }
    call._sentOn = this;
    call._id = id;
    this.replies.set(id, call);
    writeCall(this.outbox, id, call.callName, args);
    this.queued(transferablesOf(args));
  }

  /** @internal Asks the other side to cancel the call `id` (see RemoteCallTask). */
  _requestCancel(id: number, message: string): void {
    if (this.failure !== null) return;
    this.post({ kind: "cancel", id, message });
    if (this.cancelGrace !== null) {
      (this.graceTimers ??= new Map()).set(id, this.loop.callLater(this.cancelGrace, this.cancelOverdue, id, message));
    }
  }

  /** The other side did not finish unwinding a cancelled call in time. */
  private readonly cancelOverdue = (id: number, message: string): void => {
    this.graceTimers?.delete(id);
    const reply = this.takeReply(id);
    if (reply === undefined) return;
    if (!reply.done()) reply._remoteCancelled(message);
    this.onCancelOverdue?.();
  };

  private checkLoopRunning(): void {
    if (!this.loop.isRunning()) {
      throw new RuntimeError("Calls to another thread need a running event loop on this thread: make them inside run().");
    }
  }

  /** Runs `name` on the other side soon, with no reply (errors go to that side's exception handler). */
  callSoon(name: string, args: readonly unknown[]): void {
    checkString(name, "callSoonThreadsafe: the function name");
    if (this.failure !== null) throw this.failure;
    const sent = serializeHandled(args, this);
    try {
      this.post({ kind: "soon", name, args: sent }, sent);
    } catch (error) {
      abandonHandled(sent, this); // refused before it was queued (a function among the arguments)
      throw error;
    }
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

  /** Whether the connection has failed (the other side is gone, or it was closed). */
  get isFailed(): boolean {
    return this.failure !== null;
  }

  /** @internal Calls `listener` once when the other side is gone (see `fail`): a `ThreadChannel`. Returns what stops that. */
  _whenGone(listener: () => void): () => void {
    if (this.failure !== null) {
      listener();
      return () => {};
    }
    // A Set, so that a listener that is no longer wanted (a hold let go of) leaves at once.
    const listeners = (this.goneListeners ??= new Set());
    const entry = (): void => listener(); // its own identity: the same listener may be added twice
    listeners.add(entry);
    return () => void listeners.delete(entry);
  }

  /**
   * @internal Asks the other side for its task tree, to be answered within
   * `timeout` ms; the future settles by `waitUpTo` ms at the latest and never
   * fails: an answer, `refused` (the other side does not share its tasks),
   * `unresponsive` (no answer in time) or `gone`. Cancelling it withdraws the
   * question, and a late answer is dropped.
   */
  askTaskTree(timeout: number, waitUpTo: number): Future<TreeAnswer> {
    const answer = this.loop.createFuture<TreeAnswer>();
    if (this.failure !== null) {
      answer.setResult(NO_TREE.gone);
      return answer;
    }
    const id = this.nextTreeId++;
    this.treeAsks.set(id, answer);
    const timer = this.loop.callLater(waitUpTo, () => {
      if (!answer.done()) answer.setResult(NO_TREE.unresponsive);
    });
    answer.addDoneCallback(() => {
      timer.cancel();
      this.treeAsks.delete(id);
    });
    this.post({ kind: "tree?", id, timeout });
    return answer;
  }

  /** @internal The calls from the other side this side is running, by call id. */
  _servingTasks(): ReadonlyMap<number, Task<unknown>> {
    return this.serving;
  }

  /**
   * Answers a task-tree request. Requests that arrive while one is being answered
   * share its answer, so a flood of them costs one tree; a side that does not share
   * its tasks says `null`.
   */
  private answerTree(id: number, timeout: number): void {
    const responder = this.treeResponder;
    if (responder === null) {
      this.post({ kind: "tree", id, tree: null });
      return;
    }
    if (this.treeAnswerIds !== null) {
      this.treeAnswerIds.push(id);
      return;
    }
    const ids = (this.treeAnswerIds = [id]);
    const answering = new Task(responder(this, Math.min(timeout, MAX_TREE_TIMEOUT)), this.loop, { name: "task tree" });
    answering.addDoneCallback(() => {
      this.treeAnswerIds = null;
      if (this.failure !== null) return;
      const tree = answering.cancelled() ? null : answering.exception() === undefined ? answering.result() : null;
      for (const asked of ids) this.post({ kind: "tree", id: asked, tree });
    });
  }

  /** Fails every pending call with `error` and refuses new ones (the other side died). */
  fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    treePeers.get(this.loop)?.delete(this);
    if (!this.loop.isClosed()) for (const ask of [...this.treeAsks.values()]) if (!ask.done()) ask.setResult(NO_TREE.gone);
    const gone = this.goneListeners;
    this.goneListeners = null;
    if (gone !== null) for (const listener of gone) listener();
    this.endpoint.removeEventListener("message", this.onMessage);
    if (this.graceTimers !== null) for (const timer of this.graceTimers.values()) timer.cancel();
    this.graceTimers = null;
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
    treePeers.get(this.loop)?.delete(this);
    this.endpoint.removeEventListener("message", this.onMessage);
  }

  /**
   * Everything from the other side arrives here, and it is untrusted: the decoder
   * checks each message before it is acted on, and nothing it sends — a malformed
   * batch, an id that is not pending, a fault in this side's handling of it — is
   * thrown out of this listener (which would crash the thread) or served.
   */
  private readonly onMessage = (event: { data: unknown }): void => {
    const data = event.data;
    if (this.loop.isClosed()) return;
    if (!isEnvelope(data)) {
      // Not ours (a port may carry other traffic), unless it is another version of ours.
      if (isForeignVersion(data)) this.reportViolation(new ProtocolError(`it speaks ${String((data as unknown[])[0])}, this side ${PROTOCOL_TAG}: load the same asyncio-ts version on both sides`));
      return;
    }
    this.loop._hostTurn(); // a message event: what it brings may run at once
    try {
      const violation = readBatch(data, this.sink);
      if (violation !== null) this.reportViolation(violation);
    } catch (error) {
      this.reportViolation(new ProtocolError(`handling its message failed: ${describeValue(error)}`, { cause: error }));
    }
  };

  /** A message that broke the protocol is dropped, and said once to this loop's exception handler. */
  private reportViolation(error: ProtocolError): void {
    error.message = `asyncio-ts dropped a malformed message from ${this.peerName}: ${error.message}`;
    this.loop.callExceptionHandler({ message: error.message, exception: error });
  }

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
      case "tree?":
        this.answerTree(message.id, message.timeout);
        break;
      case "tree": {
        const ask = this.treeAsks.get(message.id);
        if (ask !== undefined && !ask.done()) ask.setResult(message.tree === null ? NO_TREE.refused : { status: "answered", tree: message.tree });
        break;
      }
    }
  }

  private settleResult(id: number, value: unknown): void {
    const reply = this.takeAddressedReply(id);
    if (reply === undefined || reply.done()) {
      // Nobody takes it: what it holds at its sender (a thread-safe primitive's hold) is let go.
      discardHandled([value], this);
      return;
    }
    let result: unknown;
    try {
      result = deserializeHandledValue(value, this);
    } catch (error) {
      reply._reject(error);
      return;
    }
    reply._resolve(result);
  }

  private settle(message: Extract<Message, { kind: "error" | "cancelled" }>): void {
    const reply = this.takeAddressedReply(message.id);
    if (reply === undefined || reply.done()) return;
    if (message.kind === "error") reply._reject(deserializeError(message.error));
    else reply._remoteCancelled(message.message);
  }

  /** The pending call a reply names; a reply for no pending call is a protocol violation. */
  private takeAddressedReply(id: number): RemoteCallTask<unknown> | undefined {
    const reply = this.takeReply(id);
    if (reply === undefined) this.reportViolation(new ProtocolError(`a reply for call ${id}, which is not pending`));
    return reply;
  }

  /** Removes the pending call `id` and says that a slot is free. */
  private takeReply(id: number): RemoteCallTask<unknown> | undefined {
    const reply = this.replies.get(id);
    if (reply !== undefined) {
      this.replies.delete(id);
      if (this.graceTimers !== null) {
        this.graceTimers.get(id)?.cancel();
        this.graceTimers.delete(id);
      }
      this.onReplySettled?.();
    }
    return reply;
  }

  /** The function served as `name`, or, after replying with `NotExposedError` / reporting, null. */
  private lookUp(name: string, id: number | null): Served | null {
    const served = this.functions.get(name);
    if (served !== undefined) return served;
    const names = this.functions.names();
    const error = new NotExposedError(
      `No function "${name}" is exposed on this thread; it exposes ${names.length ? names.map((n) => `"${n}"`).join(", ") : "nothing"}.`,
    );
    if (id !== null) this.post({ kind: "error", id, error: serializeError(error) });
    else this.loop.callExceptionHandler({ message: `callSoonThreadsafe from ${this.peerName}: ${error.message}`, exception: error });
    return null;
  }

  private serve(id: number, name: string, args: readonly unknown[]): void {
    if (this.serving.has(id)) {
      this.reportViolation(new ProtocolError(`call ${id} is already running; call ids are never reused`));
      return;
    }
    const served = this.lookUp(name, id);
    if (served === null) {
      discardHandled(args, this);
      return;
    }
    try {
      deserializeHandled(args as unknown[], this);
    } catch (error) {
      this.post({ kind: "error", id, error: serializeError(error) });
      return;
    }
    const { fn, self } = served;
    if (served.kind === "coroutine") {
      // A coroutine: cancellable at every yield*.
      this.serveTask(id, new Task(Reflect.apply(fn, self, args) as Coro<unknown>, this.loop, { name: `${name}#${id} (served)` }));
    } else if (served.kind === "async") {
      // An async function: cancellable through the AbortSignal it gets last.
      this.serveTask(id, new Task((signal: AbortSignal) => Reflect.apply(fn, self, [...args, signal]) as PromiseLike<unknown>, this.loop, { name: `${name}#${id} (served)` }));
    } else {
      // A plain function runs on the next iteration, in arrival order with the rest,
      // without a task of its own (nor a handle or closure: this is the hot path of
      // small calls); a promise or coroutine it returns is awaited.
      this.loop._callSoon(this.servePlain, { id, name, args }, served);
    }
  }

  private readonly servePlain = (call: { id: number; name: string; args: readonly unknown[] }, served: Served): void => {
    const { id, name, args } = call;
    let outcome: unknown;
    try {
      outcome = Reflect.apply(served.fn, served.self, args);
    } catch (error) {
      this.post({ kind: "error", id, error: serializeError(error) });
      return;
    }
    if (outcome instanceof ServedLater && outcome._loop === this.loop) {
      outcome.setName(`${name}#${id} (served)`);
      this.serveTask(id, outcome);
    } else if (isCoroutine(outcome) || isPromiseLike(outcome)) {
      this.serveTask(id, new Task(isCoroutine(outcome) ? outcome : () => outcome as PromiseLike<unknown>, this.loop, { name: `${name}#${id} (served)` }));
    } else {
      this.replyValue(id, outcome);
    }
  };

  /**
   * A served call answers the moment its task ends, in the step it ends in (see
   * `Future._onEnd`): on a thread woken from idle each loop iteration is slow
   * (measured: a cross-thread queue get answered ~10 µs sooner than from a done
   * callback). A call whose connection failed meanwhile is not answered.
   */
  private serveTask(id: number, task: Task<unknown>): void {
    if (task.done()) {
      this.answerServed(id, task); // a ServedLater may be settled before it is returned
      return;
    }
    this.serving.set(id, task);
    task._onEnd((ended) => {
      this.answerServed(id, ended);
      // A ServedLater is settled in another task's step (the put that brought its item),
      // whose iteration may go on for long: its answer leaves at once, after what was
      // queued before it.
      if (ended instanceof ServedLater) this.flush();
    });
  }

  private answerServed(id: number, task: Task<unknown>): void {
    this.serving.delete(id);
    // The other side is gone: nobody to answer. An error stays unretrieved, so the loop reports it.
    if (this.failure !== null) return;
    if (task.cancelled()) {
      this.replyFailure(id, task.makeCancelledError()); // with the message it was cancelled with
      return;
    }
    const error = task.exception();
    if (error !== undefined) this.replyFailure(id, error);
    else this.replyValue(id, task.result());
  }

  /** Answers a served call that ended with `error` (a CancelledError: it was cancelled). */
  private replyFailure(id: number, error: unknown): void {
    if (error instanceof CancelledError) this.post({ kind: "cancelled", id, message: error.message });
    else this.post({ kind: "error", id, error: serializeError(error) });
  }

  private replyValue(id: number, value: unknown): void {
    if (typeof value === "function" || typeof value === "symbol") {
      this.post({ kind: "error", id, error: serializeError(cloneRefusal({ kind: "result", id, value }, value)) });
      return;
    }
    let sent: unknown;
    try {
      sent = serializeHandledValue(value, this);
    } catch (error) {
      this.post({ kind: "error", id, error: serializeError(error) });
      return;
    }
    writeResult(this.outbox, id, sent);
    this.queued(transferablesOfValue(sent));
  }

  private runSoon(name: string, args: readonly unknown[]): void {
    const served = this.lookUp(name, null);
    if (served === null) {
      discardHandled(args, this);
      return;
    }
    try {
      deserializeHandled(args as unknown[], this);
    } catch (error) {
      this.loop.callExceptionHandler({ message: `callSoonThreadsafe from ${this.peerName}: ${describeValue(error)}`, exception: error });
      return;
    }
    this.loop.callSoon(() => {
      const outcome = Reflect.apply(served.fn, served.self, args);
      // A coroutine runs as a task; its errors reach this loop's exception handler.
      if (isCoroutine(outcome)) new Task(outcome, this.loop, { name: `${name} (soon)` });
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
  private queued(transfers: readonly TransferableObject[]): void {
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
      runAsMicrotask(this.flushScheduledMessages);
      this.loop._hostMicrotasksQueued(); // sent before the loop's next iteration
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
    } catch {
      // Something inside a value could not be cloned or moved — a DataCloneError, a
      // getter that threw, a RangeError from a value nested too deep: find which
      // messages, and fail only those. Nothing moved: a failed post detaches nothing.
      decodeBatch(envelope, (message) => {
        try {
          this.endpoint.postMessage(encodeBatch([message]), transfersOf(message));
        } catch (single) {
          this.undeliverable(message, new DataCloneError(describeCloneFailure(message, single), { cause: single }));
        }
      });
    }
  }

  /**
   * A message that could not be cloned: what serializing its handled objects took is
   * given back (a thread-safe queue's hold and port), and its call fails here, or
   * its result becomes an error there.
   */
  private undeliverable(message: Message, error: DataCloneError): void {
    try {
      abandonHandled(valuesOf(message), this);
    } catch (abandonError) {
      this.loop.callExceptionHandler({ message: "asyncio-ts: giving back what an unsent message held failed", exception: abandonError });
    }
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

/** The values a message carries: a call's arguments, a result. */
function valuesOf(message: Message): readonly unknown[] {
  if (message.kind === "call" || message.kind === "soon") return message.args;
  if (message.kind === "result") return [message.value];
  return NO_VALUES;
}

function transfersOf(message: Message): TransferableObject[] {
  return [...transferablesOf(valuesOf(message))];
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

/** Finds which argument (or the result) could not be cloned. */
function describeCloneFailure(message: Message, error: unknown): string {
  const detail = error instanceof Error ? error.message : describeValue(error);
  if (message.kind === "call" || message.kind === "soon") {
    // A handled object's wire form holds what it moves (a port), which structuredClone
    // alone refuses: the culprit is looked for among the other arguments first.
    let index = message.args.findIndex((arg) => !isHandled(arg) && !canClone(arg));
    if (index < 0) index = message.args.findIndex((arg) => !canClone(arg));
    const which = index >= 0 ? `argument ${index + 1} (${describeValue(message.args[index])})` : "an argument";
    if (index >= 0 && nestedHandled(message.args[index])) {
      return `Cannot send ${which} of ${message.name}() to the other thread: it holds a thread-safe primitive, which crosses threads only as a top-level argument or result. Pass it as an argument of its own.`;
    }
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

