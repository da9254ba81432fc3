import { DataCloneError, describeValue } from "../errors.js";
import { transferablesOfValue } from "../threads/transfer.js";

/**
 * How a thread-safe queue's items are copied between threads. Every item is a copy,
 * on the owning thread too, so an item means the same wherever it is taken.
 * `"clone"` (the default) is structured clone, transferables respected
 * (`transfer(item, [buffer])` moves the buffer); `"json"` is `JSON.stringify` and
 * `JSON.parse` (plain data only, often cheaper for small objects).
 */
export type CodecName = "clone" | "json";

/** @internal A codec: what travels (`toWire`), what is rebuilt (`fromWire`), and a local copy. */
export interface Codec {
  readonly name: CodecName;
  /** On the sending thread: what goes into the message (clone: the item itself; the bridge clones it). */
  toWire(item: unknown): unknown;
  /** On the receiving thread. */
  fromWire(wire: unknown): unknown;
  /** A copy made on one thread (the owner putting or getting its own items). */
  copy(item: unknown): unknown;
}

const clone: Codec = {
  name: "clone",
  toWire: (item) => item,
  fromWire: (wire) => wire,
  copy(item) {
    try {
      return structuredClone(item, { transfer: [...transferablesOfValue(item)] as Transferable[] });
    } catch (error) {
      throw new DataCloneError(`Cannot put ${describeValue(item)} into a thread-safe queue: ${describeValue(error)}. Items must be structured-cloneable.`, { cause: error });
    }
  },
};

const json: Codec = {
  name: "json",
  toWire(item) {
    let text: string | undefined;
    try {
      text = JSON.stringify(item);
    } catch (error) {
      throw new DataCloneError(`Cannot put ${describeValue(item)} into a thread-safe queue with the json codec: ${describeValue(error)}.`, { cause: error });
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
};

/** @internal The codec of that name; `TypeError` for anything else. */
export function codecNamed(name: unknown = "clone"): Codec {
  if (name === "clone") return clone;
  if (name === "json") return json;
  throw new TypeError(`A thread-safe queue's codec is "clone" or "json", got ${describeValue(name)}`);
}
