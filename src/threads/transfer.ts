import { describeValue } from "../errors.js";
import type { TransferableObject } from "../platform/endpoint.js";

/**
 * Marks buffers (or ports) to be moved, not copied, when `value` crosses a thread.
 *
 * comlink has a `transfer()` too, but its transfer list is private to comlink's own
 * wire protocol, which ours does not use; this is the same few lines for ours.
 */
const transfers = new WeakMap<object, TransferableObject[]>();

/**
 * Sends `value` with `transferables` moved instead of copied: the sender's buffers
 * become detached (length 0) and the receiver gets them without a copy.
 *
 * @example
 * ```ts
 * const pixels = new Uint8Array(64 * 1024 * 1024);
 * yield* worker.api.blur(transfer(pixels, [pixels.buffer]));
 * ```
 */
export function transfer<T>(value: T, transferables: TransferableObject[]): T {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`transfer() needs an object (a typed array, an ArrayBuffer, a port, or an object holding them), got ${describeValue(value)}`);
  }
  if (!Array.isArray(transferables)) {
    throw new TypeError(`transfer() expects a list of what to move (e.g. [bytes.buffer]), got ${describeValue(transferables)}`);
  }
  transfers.set(value, transferables);
  return value;
}

const NOTHING_TO_TRANSFER: readonly TransferableObject[] = Object.freeze([]);

/** The transfer list of every marked value among `values` (a shared empty list when none: the common case allocates nothing). */
export function transferablesOf(values: readonly unknown[]): readonly TransferableObject[] {
  let list: TransferableObject[] | null = null;
  for (const value of values) {
    const marked = transferablesOfValue(value);
    if (marked.length > 0) (list ??= []).push(...marked);
  }
  return list ?? NOTHING_TO_TRANSFER;
}

/** The transfer list of `value` if it was marked with `transfer()`, else a shared empty list. */
export function transferablesOfValue(value: unknown): readonly TransferableObject[] {
  return (typeof value === "object" && value !== null && transfers.get(value)) || NOTHING_TO_TRANSFER;
}
