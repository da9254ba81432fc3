/**
 * The messages two threads exchange: asyncio-ts's own small protocol, so a call can
 * be cancelled across the boundary (an AbortSignal cannot be posted). Either side
 * may call the other; ids are per direction.
 */
import type { SerializedError } from "./serialize-error.js";

/** Start a call of the exposed function `name`. */
export interface CallMessage {
  readonly kind: "call";
  readonly id: number;
  readonly name: string;
  readonly args: readonly unknown[];
}

/** Cancel the running call `id`: its coroutine gets `CancelledError` at its `yield*`. */
export interface CancelMessage {
  readonly kind: "cancel";
  readonly id: number;
  readonly message: string;
}

/** Run the exposed function `name` soon, with no reply (`callSoonThreadsafe`). */
export interface SoonMessage {
  readonly kind: "soon";
  readonly name: string;
  readonly args: readonly unknown[];
}

/** The call `id` returned `value`. */
export interface ResultMessage {
  readonly kind: "result";
  readonly id: number;
  readonly value: unknown;
}

/** The call `id` failed. */
export interface ErrorMessage {
  readonly kind: "error";
  readonly id: number;
  readonly error: SerializedError;
}

/** The call `id` ended cancelled (after unwinding). */
export interface CancelledMessage {
  readonly kind: "cancelled";
  readonly id: number;
  readonly message: string;
}

/** The serving side is up and exposes `names`. */
export interface ReadyMessage {
  readonly kind: "ready";
  readonly names: readonly string[];
}

/** Ask the serving side to cancel its running calls, let them unwind, and close. */
export interface CloseMessage {
  readonly kind: "close";
}

/** The serving side finished closing. */
export interface ClosedMessage {
  readonly kind: "closed";
}

export type Message =
  | CallMessage
  | CancelMessage
  | SoonMessage
  | ResultMessage
  | ErrorMessage
  | CancelledMessage
  | ReadyMessage
  | CloseMessage
  | ClosedMessage;

/** Marks our messages among others on a shared port. */
export const PROTOCOL_TAG = "asyncio-ts/1";

/**
 * What travels: the messages of one loop iteration under the protocol tag.
 * Batching them into one postMessage is what makes many small calls fast.
 */
export interface Envelope {
  readonly [PROTOCOL_TAG]: readonly Message[];
}

export function isEnvelope(data: unknown): data is Envelope {
  return typeof data === "object" && data !== null && PROTOCOL_TAG in data;
}
