import { DataCloneError, describeValue } from "../errors.js";
import { transferablesOfValue } from "../threads/transfer.js";
import { cloneFromBytes, cloneToBytes } from "./shared/clone-bytes.js";

/**
 * How a thread-safe queue's items are copied between threads. Every item is a copy,
 * on the creating thread too, so an item means the same wherever it is taken.
 * `"clone"` (the default) is structured clone (on the message backend transferables
 * are respected: `transfer(item, [buffer])` moves the buffer; in shared memory
 * everything is copied, and a platform object such as a `Blob`, which has no byte
 * form, is refused with `DataCloneError`); `"json"` is `JSON.stringify` and `JSON.parse` (plain data
 * only, often cheaper for small objects). For your own format, see `defineQueueCodec`.
 */
export type CodecName = "clone" | "json";

/**
 * A codec of your own for a thread-safe queue (made by `defineQueueCodec`): items
 * to bytes and back. Only its name travels with a queue: every thread that takes
 * the queue must have defined the codec too (import the module that defines it).
 */
export interface QueueCodec<T = unknown> {
  /** What it is known by on every thread. */
  readonly name: string;
  /** The item's bytes. */
  encode(item: T): Uint8Array;
  /** The item from its bytes (a view: copy what you keep of it). */
  decode(bytes: Uint8Array): T;
}

/** @internal A codec as the queue uses it, on either backend. */
export interface Codec {
  readonly name: string;
  /** Message backend, on the sending thread: what goes into the message (clone: the item itself; the bridge clones it). */
  toWire(item: unknown): unknown;
  /** Message backend, on the receiving thread. */
  fromWire(wire: unknown): unknown;
  /** A copy made on one thread (the owner putting or getting its own items). */
  copy(item: unknown): unknown;
  /**
   * Shared backend: the item's bytes. They may be a view of a buffer this thread
   * reuses at the next `toBytes` (the built-in codecs allocate none per item):
   * copy them at once.
   */
  toBytes(item: unknown): Uint8Array;
  /** Shared backend: the item from its bytes (a private copy). */
  fromBytes(bytes: Uint8Array): unknown;
}

/** The error a codec's failure becomes; its own message says what in the item failed, so it is kept. */
function cannot(item: unknown, codec: string, error: unknown): DataCloneError {
  // The message is read as data: an error thrown by a user's getter may have getters of its own.
  const message = error instanceof Error ? Object.getOwnPropertyDescriptor(error, "message")?.value : undefined;
  const why = typeof message === "string" && message !== "" ? `${describeValue(error)}: ${message}` : `${describeValue(error)}.`;
  return new DataCloneError(`Cannot put ${describeValue(item)} into a thread-safe queue with the ${codec} codec: ${why}`, { cause: error });
}

const clone: Codec = {
  name: "clone",
  toWire: (item) => item,
  fromWire: (wire) => wire,
  copy(item) {
    // A primitive is its own copy (structuredClone gives it back as it is), and an
    // empty transfer list is left out: each cost a few hundred ns per item here.
    if (item === null || (typeof item !== "object" && typeof item !== "function" && typeof item !== "symbol")) return item;
    try {
      const moved = transferablesOfValue(item);
      return moved.length === 0 ? structuredClone(item) : structuredClone(item, { transfer: [...moved] as Transferable[] });
    } catch (error) {
      throw cannot(item, "clone", error);
    }
  },
  toBytes(item) {
    try {
      return cloneToBytes(item);
    } catch (error) {
      throw cannot(item, "clone", error);
    }
  },
  fromBytes: cloneFromBytes,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON texts up to this many UTF-16 units are encoded into this thread's scratch buffer. */
const SCRATCH_TEXT = 64 * 1024;
let textScratch: Uint8Array | undefined;

/**
 * `text` as UTF-8: a view of this thread's scratch buffer for all but long texts.
 * `TextEncoder.encode` allocates a new ArrayBuffer per call, which costs about a
 * microsecond here: several times the rest of a small item's put.
 */
function utf8(text: string): Uint8Array {
  if (text.length > SCRATCH_TEXT) return encoder.encode(text);
  // At most 3 bytes per UTF-16 unit, so one encodeInto always fits.
  if (textScratch === undefined || textScratch.length < text.length * 3) textScratch = new Uint8Array(Math.max(1024, text.length * 3));
  return textScratch.subarray(0, encoder.encodeInto(text, textScratch).written);
}

const json: Codec = {
  name: "json",
  toWire(item) {
    let text: string | undefined;
    try {
      text = JSON.stringify(item);
    } catch (error) {
      throw cannot(item, "json", error);
    }
    if (text === undefined) throw new DataCloneError(`Cannot put ${describeValue(item)} into a thread-safe queue with the json codec: JSON has no form for it.`);
    return text;
  },
  fromWire(wire) {
    if (typeof wire !== "string") throw new DataCloneError(`A json-coded item from another thread is ${describeValue(wire)}, not a string.`);
    return parseItem(wire);
  },
  copy(item) {
    return json.fromWire(json.toWire(item));
  },
  toBytes: (item) => utf8(json.toWire(item) as string),
  fromBytes: (bytes) => parseItem(decoder.decode(bytes)),
};

/** A json-coded item's text, parsed: text from another thread that is not JSON fails as the codec's other errors do. */
function parseItem(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataCloneError(`A json-coded item from another thread is not JSON (${(error as Error).message}).`, { cause: error });
  }
}

const codecs = new Map<string, Codec>([
  ["clone", clone],
  ["json", json],
]);

/**
 * Defines a codec for thread-safe queues under `name`, on this thread, and returns
 * it: `new ThreadSafeQueue({ codec })`. Define it in a module that every thread
 * using such a queue imports (only the name travels). On the shared backend the
 * bytes go straight into shared memory, which makes a compact binary format the
 * fastest way to share a queue.
 *
 * `encode` returns a new `Uint8Array` each time (the queue may hold it while a put
 * waits). For speed, index the bytes rather than reaching for `bytes.buffer` (a
 * `DataView`, a `subarray` or a typed-array view over them need it): a small
 * `Uint8Array` lives on V8's heap until its first `.buffer`, and moving it off costs
 * about a microsecond, several times the rest of a small item's trip. A scratch
 * array of your own, as below, converts numbers without one.
 *
 * @example
 * ```ts
 * // points.ts, imported by the page and by the worker
 * const scratch = new Float64Array(2);
 * const scratchBytes = new Uint8Array(scratch.buffer);
 * export const pointCodec = defineQueueCodec<[number, number]>("point", {
 *   encode: ([x, y]) => { scratch[0] = x; scratch[1] = y; return scratchBytes.slice(); },
 *   decode: (bytes) => { scratchBytes.set(bytes); return [scratch[0]!, scratch[1]!]; },
 * });
 * const points = new ThreadSafeQueue<[number, number]>({ codec: pointCodec });
 * ```
 */
export function defineQueueCodec<T>(name: string, codec: { encode(item: T): Uint8Array; decode(bytes: Uint8Array): T }): QueueCodec<T> {
  if (typeof name !== "string" || name === "" || name === "clone" || name === "json") {
    throw new TypeError(`defineQueueCodec: the name is a non-empty string other than "clone" and "json", got ${describeValue(name)}`);
  }
  if (typeof codec !== "object" || codec === null || typeof codec.encode !== "function" || typeof codec.decode !== "function") {
    throw new TypeError(`defineQueueCodec("${name}"): give { encode(item) => Uint8Array, decode(bytes) => item }, got ${describeValue(codec)}`);
  }
  const encode = (item: unknown): Uint8Array => {
    let bytes: unknown;
    try {
      bytes = codec.encode(item as T);
    } catch (error) {
      throw cannot(item, `"${name}"`, error);
    }
    if (!(bytes instanceof Uint8Array)) throw new DataCloneError(`The "${name}" codec's encode(${describeValue(item)}) returned ${describeValue(bytes)}, not a Uint8Array.`);
    return bytes;
  };
  const decode = (bytes: unknown): unknown => {
    if (!(bytes instanceof Uint8Array)) throw new DataCloneError(`A "${name}"-coded item from another thread is ${describeValue(bytes)}, not a Uint8Array.`);
    return codec.decode(bytes);
  };
  codecs.set(name, { name, toWire: encode, fromWire: decode, copy: (item) => decode(encode(item)), toBytes: encode, fromBytes: decode });
  return { name, encode: codec.encode, decode: codec.decode };
}

/** @internal The codec a queue option or a wire form names; `TypeError` for anything else. */
export function codecNamed(codec: unknown = "clone"): Codec {
  const name = typeof codec === "object" && codec !== null ? (codec as { name?: unknown }).name : codec;
  const found = typeof name === "string" ? codecs.get(name) : undefined;
  if (found !== undefined) return found;
  if (typeof name === "string" && name !== "") {
    throw new TypeError(`A thread-safe queue's codec "${name}" is not defined on this thread: import the module that calls defineQueueCodec("${name}", ...) here too.`);
  }
  throw new TypeError(`A thread-safe queue's codec is "clone", "json" or one made by defineQueueCodec, got ${describeValue(codec)}`);
}
