/**
 * asyncio-ts: Python's asyncio in TypeScript. The one public entry.
 *
 * @packageDocumentation
 */
import "./futures/register.js";

export {
  AsyncioError,
  BrokenBarrierError,
  CancelledError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  DataCloneError,
  ExceptionGroup,
  HostNotFoundError,
  IncompleteReadError,
  InvalidStateError,
  LimitOverrunError,
  LockOwnerDiedError,
  NotExposedError,
  ProtocolError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  RuntimeError,
  SSLError,
  TimeoutError,
  ValueError,
  WorkerCrashedError,
} from "./errors.js";

export { EventLoop } from "./loop/event-loop.js";
export type { EventLoopOptions, ExceptionContext, ExceptionHandler, Logger, TaskFactory } from "./loop/event-loop.js";
export { Handle, TimerHandle } from "./loop/handles.js";
export { getRunningLoop } from "./loop/running-loop.js";
export { VirtualClock } from "./loop/virtual-clock.js";
export { startLoop } from "./loop/start-loop.js";
export type { Clock } from "./loop/virtual-clock.js";

export { Future, isFuture } from "./futures/future.js";
export type { DoneCallback } from "./futures/future.js";
export { Task } from "./futures/task.js";
export type { TaskBody, TaskOptions } from "./futures/task.js";
export { currentTask, allTasks } from "./futures/current-task.js";
export { eagerTaskFactory } from "./futures/register.js";
export { isCoroutine } from "./futures/coroutine.js";
export { captureCallGraph, formatCallGraph, printCallGraph } from "./futures/call-graph.js";
export type { CallGraph, CallGraphOptions, TaskInfo, TaskState, WaitInfo } from "./futures/call-graph.js";
export type { FrameInfo } from "./futures/frames.js";
export type { RemoteCallInfo } from "./futures/task.js";
export type { AsyncBody, Awaitable, Coro, ResultOf } from "./futures/coroutine.js";

export { run } from "./tasks/run.js";
export { Runner } from "./tasks/runner.js";
export type { RunOptions } from "./tasks/runner.js";
export { createTask, ensureFuture } from "./tasks/create-task.js";
export type { FutureSource } from "./tasks/create-task.js";
export { sleep } from "./tasks/sleep.js";
export { waitFor } from "./tasks/wait-for.js";
export { wait, ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION } from "./tasks/wait.js";
export type { ReturnWhen, WaitOptions } from "./tasks/wait.js";
export { gather, GatheringFuture } from "./tasks/gather.js";
export type { GatherOptions } from "./tasks/gather.js";
export { asCompleted, AsCompletedIterator } from "./tasks/as-completed.js";
export type { AsCompletedOptions } from "./tasks/as-completed.js";
export { shield } from "./tasks/shield.js";
export { timeout, timeoutAt, Timeout } from "./tasks/timeout.js";
export type { TimeoutBody } from "./tasks/timeout.js";
export { TaskGroup, taskGroup } from "./tasks/task-group.js";
export type { TaskGroupBody } from "./tasks/task-group.js";
export { awaitable } from "./futures/awaitable.js";
export type { AwaitableCoro } from "./futures/awaitable.js";

export { Lock } from "./sync/lock.js";
export { Event } from "./sync/event.js";
export { Condition } from "./sync/condition.js";
export { Semaphore, BoundedSemaphore } from "./sync/semaphore.js";
export { Barrier } from "./sync/barrier.js";
export { Guard, withLock } from "./sync/hold.js";
export type { Acquirable } from "./sync/hold.js";

export { Queue } from "./queues/queue.js";
export { PriorityQueue, defaultCompare } from "./queues/priority-queue.js";
export type { Comparator, PriorityQueueOptions } from "./queues/priority-queue.js";
export { LifoQueue } from "./queues/lifo-queue.js";

export { expose } from "./threads/expose.js";
export type { ParentHandle } from "./threads/expose.js";
export { spawnWorker, WorkerHandle } from "./threads/spawn-worker.js";
export type { SpawnWorkerOptions, WorkerObject, WorkerSource } from "./threads/spawn-worker.js";
export type { HostWorkerOptions, WorkerResourceLimits } from "./platform/host.js";
export { runCoroutineThreadsafe, callSoonThreadsafe, connectPort, createChannel } from "./threads/threadsafe-calls.js";
export type { Channel, ConnectedThread, ThreadTarget } from "./threads/threadsafe-calls.js";
export { Connection } from "./threads/connection.js";
export type { Exposed } from "./threads/connection.js";
export type { CallArgs, CallResult, ExposedName, RemoteApi } from "./threads/remote.js";
export { transfer } from "./threads/transfer.js";
export { captureTaskTree, formatTaskTree } from "./threads/task-tree.js";
export type { TaskTreeNode, TaskTreeOptions, ThreadStatus, ThreadTree } from "./threads/task-tree.js";
export type { Endpoint, TransferableObject } from "./platform/endpoint.js";
export { WorkerPool, toThread, setDefaultExecutor } from "./threads/worker-pool.js";
export { registerTransferHandler } from "./threads/transfer-handlers.js";
export type { ThreadChannel, TransferHandler } from "./threads/transfer-handlers.js";

export { ThreadSafeQueue, ThreadSafeLifoQueue, ThreadSafePriorityQueue } from "./threadsafe/queue.js";
export type { ThreadSafeQueueOptions, ThreadSafePriorityQueueOptions } from "./threadsafe/queue.js";
export { ThreadSafeLock } from "./threadsafe/lock.js";
export type { ThreadSafeLockOptions } from "./threadsafe/lock.js";
export { ThreadSafeSemaphore, ThreadSafeBoundedSemaphore } from "./threadsafe/semaphore.js";
export type { ThreadSafeSemaphoreOptions } from "./threadsafe/semaphore.js";
export { ThreadSafeEvent } from "./threadsafe/event.js";
export type { ThreadSafeEventOptions } from "./threadsafe/event.js";
export { ThreadSafeBarrier } from "./threadsafe/barrier.js";
export type { ThreadSafeBarrierOptions } from "./threadsafe/barrier.js";
export type { ThreadSafeBackend } from "./threadsafe/thread-safe-object.js";
export { defineQueueCodec } from "./threadsafe/codec.js";
export type { CodecName, QueueCodec } from "./threadsafe/codec.js";
export type { WorkerPoolOptions } from "./threads/worker-pool.js";
export type { Executor } from "./loop/event-loop.js";

export { StreamReader, DEFAULT_LIMIT } from "./streams/reader.js";
export type { ReadFlowControl } from "./streams/reader.js";
export { StreamWriter } from "./streams/writer.js";
export type { Transport, TransportEvents } from "./streams/transport.js";
export { openConnection, openUnixConnection, startServer, startUnixServer, Server } from "#sockets";
export type { ClientConnected, ConnectionOptions, ServerOptions, UnixConnectionOptions, UnixServerOptions } from "#sockets";
export type { ConnectionOptionsOf, ServerApi, ServerOptionsOf } from "./streams/transports/socket-api.js";
export { streamsOfPort, pipe } from "./streams/transports/message-port.js";
export { openWebSocketConnection } from "./streams/transports/websocket.js";
export type { WebSocketOptions } from "./streams/transports/websocket.js";
export { readerFromReadableStream, writerFromWritableStream, toReadableStream, toWritableStream } from "./streams/whatwg.js";
