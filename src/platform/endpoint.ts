/**
 * Anything that can carry messages: a Worker, a MessagePort, a worker's `self`.
 * The shape is comlink's `Endpoint`; Node's `worker_threads` objects are adapted to
 * it with comlink's `nodeEndpoint` (see platform/node.ts).
 */
/**
 * What a host can move to another thread instead of copying it: an `ArrayBuffer`, a
 * `MessagePort`, an `ImageBitmap`… The DOM's `Transferable`, named here so that
 * Node projects need not load the DOM library for our types.
 */
export type TransferableObject = object;

/** What carries messages between threads: a `Worker`, a `MessagePort`, a worker's `self`. */
export interface Endpoint {
  /** Sends `message`, moving `transfer`'s objects. */
  postMessage(message: unknown, transfer?: TransferableObject[]): void;
  /** Listens for messages. */
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  /** Stops listening. */
  removeEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  /** Starts delivery (a `MessagePort` needs it when listened to with `addEventListener`). */
  start?(): void;
}
