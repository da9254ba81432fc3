import { AsyncResource } from "node:async_hooks";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { MessageChannel, type MessagePort as NodeMessagePort, Worker, isMainThread, parentPort } from "node:worker_threads";
import type { Endpoint } from "./endpoint.js";
import { ExitListeners } from "./exit-listeners.js";
import type { Host, HostWorker, WorkerSpawner } from "./host.js";

function adapt(port: unknown): Endpoint {
  return nodeEndpoint(port as Parameters<typeof nodeEndpoint>[0]) as unknown as Endpoint;
}

/** Node: `setImmediate` runs after the poll phase, so I/O and timers get their turn. */
export const host: Host = {
  name: "node",
  now: () => performance.now(),
  scheduleMacrotask: (callback) => {
    setImmediate(callback);
  },
  parentEndpoint: () => (isMainThread || parentPort === null ? null : adapt(parentPort)),
  adaptPort: adapt,
  createChannel: () => new MessageChannel(),
  onPortClose: (port, listener) => {
    (port as NodeMessagePort).once("close", listener);
  },
  keepAlive: (port, alive) => {
    if (alive) (port as NodeMessagePort).ref();
    else (port as NodeMessagePort).unref();
  },
  exitCurrentThread: () => {
    // In a worker, process.exit ends only this thread.
    process.exit(0);
  },
  onSelfClose: () => {
    // A Node worker ends with process.exit or by running out of work; the parent
    // sees both as an 'exit' event, so there is nothing to hook.
  },
  // An AsyncResource takes the AsyncLocalStorage stores current where it is made;
  // nothing tracks it for garbage collection (no destroy hook is wanted).
  captureAsyncContext: () => new AsyncResource("asyncio-ts.Task", { requireManualDestroy: true }),
};

/** Node starts `worker_threads` Workers (or adopts one the caller made). */
export const spawner: WorkerSpawner = {
  startWorker(source, options): HostWorker {
    const { name, execArgv, env, workerData, resourceLimits, argv } = options;
    const worker =
      source instanceof Worker
        ? source
        : new Worker(source as URL | string, {
            ...(name !== undefined ? { name } : {}),
            ...(execArgv !== undefined ? { execArgv } : {}),
            ...(env !== undefined ? { env } : {}),
            ...(workerData !== undefined ? { workerData } : {}),
            ...(resourceLimits !== undefined ? { resourceLimits } : {}),
            ...(argv !== undefined ? { argv } : {}),
          });
    const exit = new ExitListeners();
    // An uncaught error is followed by 'exit'. Ending at 'exit' matters: Node hands
    // over the messages the worker posted before it died first, so a call it
    // answered just before crashing gets its answer, not the crash.
    let crash: { error: unknown } | null = null;
    worker.on("error", (error) => (crash ??= { error }));
    worker.on("exit", (exitCode) => exit.end(crash !== null ? { error: crash.error, exitCode } : { exitCode }));
    return {
      endpoint: adapt(worker),
      onExit: (listener) => exit.add(listener),
      terminate: () => void worker.terminate(),
    };
  },
  isWorker: (value) => value instanceof Worker,
};
