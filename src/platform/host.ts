import type { Endpoint } from "./endpoint.js";
import type { ExitReason } from "./exit-listeners.js";

/**
 * The seam between the library and its host (Node or a browser). Everything that
 * differs between the two lives behind this interface; the package's `exports`
 * conditions (and `#platform` in package.json `imports`) pick the implementation.
 */
export interface Host {
  /** `"node"` or `"browser"`, for diagnostics only — never branch on it outside `platform/`. */
  readonly name: "node" | "browser";
  /** Monotonic milliseconds, sub-millisecond precision. */
  now(): number;
  /**
   * Runs `callback` in a later macrotask, after pending I/O, timers and (in a
   * browser) rendering had their turn. The loop yields through this so it never
   * starves its host.
   */
  scheduleMacrotask(callback: () => void): void;
  /** Starts a worker thread running the module at `url`. */
  startWorker(url: URL | string, options: { name?: string }): HostWorker;
  /** In a worker: the channel to the thread that started it; `null` on the main thread. */
  parentEndpoint(): Endpoint | null;
  /** Adapts a MessagePort (of this host) to an `Endpoint`. */
  adaptPort(port: unknown): Endpoint;
  /** A connected pair of ports. */
  createChannel(): { port1: unknown; port2: unknown };
  /** Ends the current worker thread (after a graceful close). */
  exitCurrentThread(): void;
  /** Replaces the worker's own way to end itself (`close()`), to say goodbye first. */
  onSelfClose(beforeClose: () => void): void;
}

/** A started worker, as the host sees it. */
export interface HostWorker {
  readonly endpoint: Endpoint;
  /** Called once when the worker dies: an uncaught error, an exit, a termination. */
  onExit(listener: (reason: ExitReason) => void): void;
  terminate(): void;
}
