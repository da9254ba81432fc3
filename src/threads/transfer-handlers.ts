import { DataCloneError, describeValue } from "../errors.js";
import type { TransferableObject } from "../platform/endpoint.js";
import { transfer } from "./transfer.js";

/**
 * How an object that cannot be structured-cloned as itself (a thread-safe queue,
 * lock, …) crosses a thread as a top-level argument or result of a bridge call:
 * comlink's transfer-handler shape. `serialize` runs on the sending thread and
 * gives plain data plus what to move; `deserialize` runs on the receiving thread
 * and rebuilds a working object from that data.
 *
 * The data comes from another thread: `deserialize` must check it and throw on
 * anything it does not expect (the call then fails with `DataCloneError`).
 */
export interface TransferHandler<T extends object = object> {
  /** Whether `value` is handled here. */
  canHandle(value: unknown): value is T;
  /**
   * `[data, transferables]`: structured-cloneable data, and what to move with it.
   * `via` is the channel it is sent on (see `ThreadChannel`).
   */
  serialize(value: T, via?: ThreadChannel): [unknown, TransferableObject[]];
  /** Rebuilds the object on the receiving thread; `via` is the channel it came on. */
  deserialize(data: unknown, via?: ThreadChannel): T;
  /**
   * Optional: `data`, made by `serialize`, will never arrive, because the message
   * carrying it could not be sent (another value in it could not be cloned). Give
   * back what `serialize` took for it; its transferables were not moved.
   */
  abandon?(data: unknown, via?: ThreadChannel): void;
  /**
   * Optional, on the receiving thread: `data` arrived but will not be rebuilt (the
   * call it came with names no exposed function, or an argument before it could
   * not be rebuilt). Give back what the sender took for this thread. `data` comes
   * from another thread: check it as `deserialize` does. (A `deserialize` that
   * throws gives back what its own data took.)
   */
  discard?(data: unknown, via?: ThreadChannel): void;
}

/**
 * The channel a handled object crosses, as its handler may use it: to hear when the
 * thread at the other end is gone (in browsers nothing else tells a port that).
 */
export interface ThreadChannel {
  /** Calls `listener` once when the other side is gone (at once if it already is); returns what stops that. */
  _whenGone(listener: () => void): () => void;
  /**
   * The other side is a worker this thread started: it cannot outlive this thread
   * (a browser ends a worker's workers with it; Node terminates them too).
   */
  readonly _toChild: boolean;
}

/** The key a serialized object travels under: `{ [HANDLED]: handlerName, data }`. */
const HANDLED = "asyncio-ts/handled";

const handlers = new Map<string, TransferHandler>();

/**
 * Teaches the bridge to pass objects `handler` recognises as top-level call
 * arguments and results (the thread-safe primitives register themselves). Every
 * thread that receives such objects must have registered the same `name`.
 *
 * @example
 * ```ts
 * registerTransferHandler("point", {
 *   canHandle: (v): v is Point => v instanceof Point,
 *   serialize: (p) => [[p.x, p.y], []],
 *   deserialize: (data) => new Point(...(data as [number, number])),
 * });
 * ```
 */
export function registerTransferHandler(name: string, handler: TransferHandler<any>): void {
  if (typeof name !== "string" || name.length === 0) throw new TypeError(`registerTransferHandler expects a name, got ${describeValue(name)}`);
  for (const method of ["canHandle", "serialize", "deserialize"] as const) {
    if (typeof handler?.[method] !== "function") throw new TypeError(`registerTransferHandler("${name}") needs a ${method} function`);
  }
  for (const method of ["abandon", "discard"] as const) {
    if (handler[method] !== undefined && typeof handler[method] !== "function") throw new TypeError(`registerTransferHandler("${name}"): ${method}, if given, is a function`);
  }
  handlers.set(name, handler);
}

/** The handler of `value`, if one claims it (none registered: the common case costs one size check). */
function handlerOf(value: unknown): [string, TransferHandler] | null {
  if (handlers.size === 0 || typeof value !== "object" || value === null) return null;
  for (const entry of handlers) if (entry[1].canHandle(value)) return entry;
  return null;
}

/**
 * @internal Replaces handled objects among `values` (top level only) by their
 * serialized form, marked with `transfer()` for what they move, so the sender finds
 * it as for any marked value. Returns `values` itself when none is handled.
 */
export function serializeHandled(values: readonly unknown[], via?: ThreadChannel): readonly unknown[] {
  if (handlers.size === 0) return values;
  let out: unknown[] | null = null;
  for (let i = 0; i < values.length; i++) {
    const entry = handlerOf(values[i]);
    if (entry === null) continue;
    let serialized: [unknown, TransferableObject[]];
    try {
      serialized = entry[1].serialize(values[i] as object, via);
    } catch (error) {
      if (out !== null) abandonHandled(out.slice(0, i), via); // those before it will not be sent either
      throw error;
    }
    const wrapped = { [HANDLED]: entry[0], data: serialized[0] };
    // Marking costs a WeakMap entry: worth it only for something to move (transfer() checks a list that is not an array).
    const moved = serialized[1];
    (out ??= [...values])[i] = Array.isArray(moved) && moved.length === 0 ? wrapped : transfer(wrapped, moved);
  }
  return out ?? values;
}

/**
 * @internal The message carrying `values` (as `serializeHandled` gave them) was not
 * sent: each handled object's handler gives back what serializing it took. Every
 * one is given back; the first error is thrown after.
 */
export function abandonHandled(values: readonly unknown[], via?: ThreadChannel): void {
  const failure = giveBack(values, "abandon", via);
  if (failure !== null) throw failure.error;
}

/**
 * @internal Values that arrived from another thread and will not be rebuilt (see
 * `TransferHandler.discard`). A handler's error is not this thread's to raise (the
 * data came from the other side): it is dropped, as the value is.
 */
export function discardHandled(values: readonly unknown[], via?: ThreadChannel): void {
  giveBack(values, "discard", via);
}

/** Calls `method` of the handler of each handled value among `values`; the first error, if any. */
function giveBack(values: readonly unknown[], method: "abandon" | "discard", via?: ThreadChannel): { error: unknown } | null {
  let failure: { error: unknown } | null = null;
  for (const value of values) {
    if (!isHandled(value)) continue;
    const name = (value as Record<string, unknown>)[HANDLED];
    const handler = typeof name === "string" ? handlers.get(name) : undefined;
    try {
      handler?.[method]?.((value as { data: unknown }).data, via);
    } catch (error) {
      failure ??= { error };
    }
  }
  return failure;
}

/** @internal One value: its serialized form if handled, else itself. */
export function serializeHandledValue(value: unknown, via?: ThreadChannel): unknown {
  return handlers.size === 0 || handlerOf(value) === null ? value : serializeHandled([value], via)[0];
}

/**
 * @internal Rebuilds the handled objects among values that arrived from another
 * thread. Throws `DataCloneError` for a serialized object no handler here knows, or
 * whose data its handler refuses.
 */
export function deserializeHandled(values: unknown[], via?: ThreadChannel): unknown[] {
  for (let i = 0; i < values.length; i++) {
    try {
      values[i] = deserializeHandledValue(values[i], via);
    } catch (error) {
      discardHandled(values.slice(i + 1), via); // the call fails: what follows is not rebuilt (the handler cleaned up its own)
      throw error;
    }
  }
  return values;
}

/** @internal Whether `value` is a handled object's serialized form. */
export function isHandled(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.hasOwn(value, HANDLED);
}

/** The most of a handler's error a `DataCloneError`'s message quotes. */
const MAX_REASON_CHARS = 500;

/** @internal One value that arrived: rebuilt if it is a serialized handled object. */
export function deserializeHandledValue(value: unknown, via?: ThreadChannel): unknown {
  if (!isHandled(value)) return value;
  const name = (value as Record<string, unknown>)[HANDLED];
  const handler = typeof name === "string" ? handlers.get(name) : undefined;
  if (handler === undefined) {
    if (name === "asyncio-ts/threadsafe") {
      throw new DataCloneError(
        "A thread-safe primitive (ThreadSafeQueue, ThreadSafeLock, …) arrived, but this thread has not loaded the thread-safe classes: use the class as a value in this thread's code (for example `queue instanceof ThreadSafeQueue`), not only as a type, so that it is not left out.",
      );
    }
    throw new DataCloneError(`Received a ${describeValue(name)} object from another thread, but no transfer handler of that name is registered on this thread: import the module that defines it here too.`);
  }
  try {
    return handler.deserialize((value as { data: unknown }).data, via);
  } catch (error) {
    // The handler's own words say what was wrong (its error is the cause too). They
    // may quote what arrived, which the other side chose: the message keeps a head
    // of them, the cause keeps them whole.
    const said = error instanceof Error ? `${error.name}: ${error.message}` : describeValue(error);
    const reason = said.length > MAX_REASON_CHARS ? `${said.slice(0, MAX_REASON_CHARS)}… (${said.length} characters; see the cause)` : said;
    throw new DataCloneError(`Could not rebuild the ${String(name)} object received from another thread: ${reason}`, { cause: error });
  }
}

/**
 * @internal Whether `value` holds a handled object below its top level (which
 * structured clone would copy as a plain object, or refuse): a sender's check
 * after a clone failure, to say what to do. Looks two levels deep.
 */
export function nestedHandled(value: unknown, depth = 0): boolean {
  if (handlers.size === 0 || typeof value !== "object" || value === null || depth > 2) return false;
  if (depth > 0 && handlerOf(value) !== null) return true;
  // The value failed to clone and may be hostile: read data properties only (a getter
  // is never run), and a bounded number of them.
  let descriptors: PropertyDescriptor[];
  try {
    descriptors = Object.values(Object.getOwnPropertyDescriptors(value)).slice(0, 64);
  } catch {
    return false; // a proxy's trap threw
  }
  return descriptors.some((descriptor) => "value" in descriptor && nestedHandled(descriptor.value, depth + 1));
}
