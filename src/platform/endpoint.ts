/**
 * Anything that can carry messages: a Worker, a MessagePort, a worker's `self`.
 * The shape is comlink's `Endpoint`; Node's `worker_threads` objects are adapted to
 * it with comlink's `nodeEndpoint` (see platform/node.ts).
 */
export interface Endpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  start?(): void;
}
