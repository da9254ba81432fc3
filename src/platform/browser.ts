import type { Endpoint } from "./endpoint.js";
import { ExitListeners } from "./exit-listeners.js";
import type { Host, HostWorker, WorkerSpawner } from "./host.js";

// A MessageChannel post is a macrotask without setTimeout's 4 ms clamp for nested
// timers; the browser may render and handle input between two of them.
const channel = new MessageChannel();
const pending: Array<() => void> = [];
channel.port1.onmessage = () => {
  const callback = pending.shift();
  if (callback) callback();
};

declare const WorkerGlobalScope: { new (): unknown } | undefined;
const inWorker = typeof WorkerGlobalScope !== "undefined" && globalThis instanceof WorkerGlobalScope;
const originalClose: (() => void) | undefined = inWorker ? (globalThis as unknown as { close(): void }).close.bind(globalThis) : undefined;

/** Browsers (page or worker): macrotasks through a `MessageChannel`, module Workers. */
export const host: Host = {
  name: "browser",
  now: () => performance.now(),
  scheduleMacrotask: (callback) => {
    pending.push(callback);
    channel.port2.postMessage(null);
  },
  parentEndpoint: () => (inWorker ? (globalThis as unknown as Endpoint) : null),
  adaptPort: (port) => {
    (port as MessagePort).start();
    return port as Endpoint;
  },
  createChannel: () => new MessageChannel(),
  onPortClose: () => {
    // Chromium's MessagePort has no close event: only a worker's spawner sees it die.
  },
  keepAlive: () => {
    // A page or worker lives as long as it is open.
  },
  exitCurrentThread: () => originalClose?.(),
  onSelfClose: (beforeClose) => {
    if (!inWorker) return;
    // A browser worker that calls close() gives its parent no event: say goodbye first.
    (globalThis as unknown as { close(): void }).close = () => {
      beforeClose();
      originalClose!();
    };
  },
  // Browsers have no async context to carry (AsyncContext is still a proposal).
  captureAsyncContext: () => null,
};

/** Browsers start module Workers (or adopt one the page made). */
export const spawner: WorkerSpawner = {
  startWorker(source, options): HostWorker {
    const { name, type = "module", credentials } = options;
    const adopted = spawner.isWorker(source);
    const worker = adopted
      ? (source as Worker)
      : new Worker(source as URL | string, { type, ...(name !== undefined ? { name } : {}), ...(credentials !== undefined ? { credentials } : {}) });
    const described = adopted ? (name ?? "the worker") : String(source);
    const exit = new ExitListeners();
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      exit.end({ error: event.error ?? new Error(event.message || `worker ${described} failed to load or threw at top level`) });
    });
    return {
      endpoint: worker as unknown as Endpoint,
      onExit: (listener) => exit.add(listener),
      terminate: () => worker.terminate(),
    };
  },
  isWorker: (value) => typeof Worker !== "undefined" && value instanceof Worker,
};
