import { DataCloneError, describeValue } from "../errors.js";
import { transferablesOfValue } from "../threads/transfer.js";
import { cloneFromBytes, cloneToBytes } from "./shared/clone-bytes.js";

/**
 * How a thread-safe queue's items are copied between threads. Every item is a copy,
 * on the creating thread too, so an item means the same wherever it is taken.
 * `"clone"` (the default) is structured clone (on the message backend transferables
 * are respected: `transfer(item, [buffer])` moves the buffer; in shared memory
 * everything is copied); `"json"` is `JSON.stringify` and `JSON.parse` (plain data
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
  /** Shared backend: the item's bytes. */
  toBytes(item: unknown): Uint8Array;
  /** Shared backend: the item from its bytes (a private copy). */
  fromBytes(bytes: Uint8Array): unknown;
}

function cannot(item: unknown, codec: string, error: unknown): DataCloneError {
  return new DataCloneError(`Cannot put ${describeValue(item)} into a thread-safe queue with the ${codec} codec: ${describeValue(error)}.`, { cause: error });
}

const clone: Codec = {
  name: "clone",
  toWire: (item) => item,
  fromWire: (wire) => wire,
  copy(item) {
    try {
      return structuredClone(item, { transfer: [...transferablesOfValue(item)] as Transferable[] });
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
    return JSON.parse(wire);
  },
  copy(item) {
    return json.fromWire(json.toWire(item));
  },
  toBytes: (item) => encoder.encode(json.toWire(item) as string),
  fromBytes: (bytes) => JSON.parse(decoder.decode(bytes)),
};

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
 * @example
 * ```ts
 * // points.ts, imported by the page and by the worker
 * export const pointCodec = defineQueueCodec<[number, number]>("point", {
 *   encode: ([x, y]) => new Uint8Array(new Float64Array([x, y]).buffer),
 *   decode: (bytes) => { const [x, y] = new Float64Array(bytes.buffer, bytes.byteOffset, 2); return [x!, y!]; },
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
