/**
 * Structured clone to bytes and back, for the "clone" codec of a queue on the
 * shared backend, where items must be bytes in shared memory and browsers offer no
 * synchronous serializer. It keeps structured clone's semantics for what users put
 * in queues — primitives (bigint included) and their boxed forms, plain objects,
 * arrays (holes kept), Map, Set, Date, RegExp, ArrayBuffer, typed arrays and
 * DataView (copied), errors (as structured clone keeps them: a standard error
 * class, message, stack and cause; any other name becomes "Error"), and shared or
 * cyclic references — and refuses what structured clone refuses (functions,
 * symbols, promises, weak collections) with `DataCloneError`. Class instances
 * arrive as plain objects, as they do through `postMessage`. Platform objects
 * that structured clone copies by other means (a `Blob`, an `ImageData`, a
 * `CryptoKey`) have no byte form here: they are refused with `DataCloneError`, so
 * nothing arrives as an empty object. One difference is left: an array's
 * properties other than its elements are not copied.
 */
import { DataCloneError, describeValue } from "../../errors.js";

const enum Tag {
  Undefined = 0,
  Null,
  True,
  False,
  Int,
  Float,
  BigInt,
  Latin1,
  Utf16,
  Array,
  Object,
  Map,
  Set,
  Date,
  RegExp,
  Buffer,
  View,
  Error,
  Reference,
  /** A boxed primitive (`new Number(1)`, `Object(1n)`): the primitive follows. */
  Boxed,
  /** A hole in an array (an index it does not have). */
  Hole,
}

/** The error classes structured clone keeps; any other error arrives as an `Error`. */
const errorClasses: Record<string, ErrorConstructor> = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

/** The primitive inside a boxed primitive, by its class's tag, read without calling anything the value overrides. */
const unboxers: Record<string, (boxed: object) => unknown> = {
  "[object Number]": (boxed) => Number.prototype.valueOf.call(boxed),
  "[object String]": (boxed) => String.prototype.valueOf.call(boxed),
  "[object Boolean]": (boxed) => Boolean.prototype.valueOf.call(boxed),
  "[object BigInt]": (boxed) => BigInt.prototype.valueOf.call(boxed),
};
const objectTag = Object.prototype.toString;

/**
 * Numbers go to and from bytes through one 8-byte scratch, never a DataView: a
 * DataView needs its array's `.buffer`, and a small Uint8Array (such as a queue
 * item's bytes) lives on V8's heap until that first `.buffer` moves it off, which
 * costs about a microsecond: more than the rest of a small item's trip.
 */
let numberScratch: { float: Float64Array; bytes: Uint8Array } | undefined;
function numberBytes(): { float: Float64Array; bytes: Uint8Array } {
  if (numberScratch === undefined) {
    const float = new Float64Array(1);
    numberScratch = { float, bytes: new Uint8Array(float.buffer) };
  }
  return numberScratch;
}

/** Recently decoded object keys, by a hash of their bytes (see Reader.key). */
const KEY_CACHE_SIZE = 256;
const keyCache: (string | undefined)[] = new Array(KEY_CACHE_SIZE);

/** Strings up to this length are read code by code. */
const SHORT_STRING = 32;

/** The most objects of one value searched for in a list; beyond, in a Map. */
const SEEN_LIST_MOST = 16;

/** Writers kept for reuse beyond this size give their buffer back. */
const KEPT_WRITER_BYTES = 64 * 1024;

const viewKinds = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView] as const;

class Writer {
  bytes = new Uint8Array(256);
  length = 0;
  // The objects written so far, by index, for references to them. Searched in a
  // list while there are few, as in most items: a Map's set, and its clear() (which
  // allocates a new table), were a fifth of encoding a small object.
  private readonly seenList: object[] = [];
  private seenMap: Map<object, number> | null = null;

  room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }

  /** Ready for the next value; a buffer grown large for one item is not kept. */
  reset(): void {
    this.length = 0;
    this.seenList.length = 0;
    this.seenMap = null;
    if (this.bytes.length > KEPT_WRITER_BYTES) this.bytes = new Uint8Array(256);
  }

  /** The index of `value` if it was written already, or -1. */
  private referenceOf(value: object): number {
    if (this.seenMap !== null) return this.seenMap.get(value) ?? -1;
    return this.seenList.indexOf(value);
  }

  private remember(value: object): void {
    const list = this.seenList;
    if (this.seenMap === null && list.length === SEEN_LIST_MOST) this.seenMap = new Map(list.map((seen, index) => [seen, index]));
    this.seenMap?.set(value, list.length);
    list.push(value);
  }

  tag(tag: Tag): void {
    this.room(1);
    this.bytes[this.length++] = tag;
  }

  /** Little-endian, as Reader.u32 reads it; an int32 goes through it as its two's complement. */
  u32(n: number): void {
    this.room(4);
    const bytes = this.bytes;
    const at = this.length;
    bytes[at] = n;
    bytes[at + 1] = n >>> 8;
    bytes[at + 2] = n >>> 16;
    bytes[at + 3] = n >>> 24;
    this.length = at + 4;
  }

  float(n: number): void {
    this.room(8);
    const scratch = numberBytes();
    scratch.float[0] = n;
    this.bytes.set(scratch.bytes, this.length);
    this.length += 8;
  }

  raw(source: Uint8Array): void {
    this.u32(source.length);
    this.room(source.length);
    this.bytes.set(source, this.length);
    this.length += source.length;
  }

  string(text: string): void {
    const n = text.length;
    let latin1 = true;
    for (let i = 0; i < n; i++) {
      if (text.charCodeAt(i) > 0xff) {
        latin1 = false;
        break;
      }
    }
    this.tag(latin1 ? Tag.Latin1 : Tag.Utf16);
    this.u32(n);
    this.room(latin1 ? n : n * 2);
    const bytes = this.bytes;
    let at = this.length;
    if (latin1) for (let i = 0; i < n; i++) bytes[at++] = text.charCodeAt(i);
    else {
      for (let i = 0; i < n; i++) {
        const code = text.charCodeAt(i);
        bytes[at++] = code & 0xff;
        bytes[at++] = code >>> 8;
      }
    }
    this.length = at;
  }

  value(value: unknown): void {
    switch (typeof value) {
      case "undefined":
        return this.tag(Tag.Undefined);
      case "boolean":
        return this.tag(value ? Tag.True : Tag.False);
      case "number":
        if ((value | 0) === value && !Object.is(value, -0)) {
          this.tag(Tag.Int);
          this.u32(value);
        } else {
          this.tag(Tag.Float);
          this.float(value);
        }
        return;
      case "string":
        return this.string(value);
      case "bigint":
        this.tag(Tag.BigInt);
        return this.string(value.toString());
      case "object":
        if (value === null) return this.tag(Tag.Null);
        return this.object(value);
      default:
        throw new DataCloneError(`${describeValue(value)} could not be cloned: structured clone has no form for a ${typeof value}.`);
    }
  }

  object(value: object): void {
    const reference = this.referenceOf(value);
    if (reference !== -1) {
      this.tag(Tag.Reference);
      return this.u32(reference);
    }
    this.remember(value);
    if (Array.isArray(value)) {
      this.tag(Tag.Array);
      this.u32(value.length);
      for (let i = 0; i < value.length; i++) {
        const element = value[i];
        if (element === undefined && !(i in value)) this.tag(Tag.Hole);
        else this.value(element);
      }
    } else if (value instanceof Map) {
      this.tag(Tag.Map);
      this.u32(value.size);
      for (const [key, entry] of value) {
        this.value(key);
        this.value(entry);
      }
    } else if (value instanceof Set) {
      this.tag(Tag.Set);
      this.u32(value.size);
      for (const entry of value) this.value(entry);
    } else if (value instanceof Date) {
      this.tag(Tag.Date);
      this.value(value.getTime());
    } else if (value instanceof RegExp) {
      this.tag(Tag.RegExp);
      this.string(value.source);
      this.string(value.flags);
    } else if (value instanceof ArrayBuffer) {
      this.tag(Tag.Buffer);
      this.raw(new Uint8Array(value));
    } else if (ArrayBuffer.isView(value)) {
      const kind = viewKinds.findIndex((View) => value instanceof View);
      this.tag(Tag.View);
      this.tag(kind as Tag);
      this.raw(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    } else if (value instanceof Error) {
      this.tag(Tag.Error);
      const name = value.name;
      this.string(typeof name === "string" && Object.hasOwn(errorClasses, name) ? name : "Error");
      this.string(value.message);
      this.value(value.stack);
      this.value("cause" in value ? value.cause : undefined);
    } else if (typeof (value as { then?: unknown }).then === "function" || value instanceof WeakMap || value instanceof WeakSet) {
      throw new DataCloneError(`${describeValue(value)} could not be cloned: structured clone refuses it.`);
    } else {
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) {
        // Not a plain object: a class instance (copied as a plain object, as
        // structured clone does), a boxed primitive, or a platform object.
        const kind = objectTag.call(value);
        const unbox = unboxers[kind];
        if (unbox !== undefined) {
          this.tag(Tag.Boxed);
          return this.value(unbox(value));
        }
        if (kind !== "[object Object]") {
          const described = describeValue(value);
          const tag = kind.slice(8, -1); // "[object Blob]": "Blob"
          throw new DataCloneError(
            `${described.endsWith(` ${tag}`) ? described : `${described} (${tag})`} could not be cloned into shared memory: the "clone" codec copies plain data (objects, arrays, Map, Set, Date, RegExp, buffers, errors). Send it on a queue with backend "message", where the host clones it, or write a codec for it.`,
          );
        }
      }
      const keys = Object.keys(value);
      this.tag(Tag.Object);
      this.u32(keys.length);
      for (const key of keys) {
        this.string(key);
        this.value((value as Record<string, unknown>)[key]);
      }
    }
  }
}

/** This thread's writer, between two `cloneToBytes` calls (taken while one runs). */
let idleWriter: Writer | null = null;

/**
 * The bytes of `value` (nothing of it is shared). They are a view of this thread's
 * writer, good until the next `cloneToBytes` on this thread: copy them at once (a
 * queue writes them into shared memory, or copies them if its put has to wait).
 * One writer serves every call, so an item allocates no buffer of its own.
 */
export function cloneToBytes(value: unknown): Uint8Array {
  // A getter of the value that puts into a queue itself meets a writer in use: it gets one of its own.
  const writer = idleWriter ?? new Writer();
  idleWriter = null;
  try {
    writer.value(value);
    return writer.bytes.subarray(0, writer.length);
  } finally {
    writer.reset();
    idleWriter = writer;
  }
}

/** The little-endian u32 at `at` (as Writer.u32 writes it). */
function u32At(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

class Reader {
  at = 0;
  readonly objects: unknown[] = [];

  constructor(readonly bytes: Uint8Array) {}

  u32(): number {
    const bytes = this.bytes;
    const at = this.at;
    if (at + 4 > bytes.length) throw new DataCloneError("A queue item's bytes are corrupt (a number runs past their end).");
    this.at = at + 4;
    return u32At(bytes, at);
  }

  /** A count read from the bytes, bounded by what is left of them (a corrupt count fails, it does not allocate). */
  count(): number {
    const n = this.u32();
    if (n > this.bytes.length - this.at) throw new DataCloneError("A queue item's bytes are corrupt (a count runs past their end).");
    return n;
  }

  raw(): Uint8Array {
    const n = this.count();
    const copy = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return copy;
  }

  string(): string {
    return this.stringOf(this.bytes[this.at++] as Tag);
  }

  /**
   * An object's key: the same few keys come in item after item, so a short Latin-1
   * key is looked up in this thread's cache by its bytes before a string is built.
   * A string used as a key is interned on first use, so a cached one also saves
   * the engine that lookup at every property write.
   */
  key(): string {
    const bytes = this.bytes;
    const at = this.at;
    if (bytes[at] !== Tag.Latin1 || at + 5 > bytes.length) return this.string();
    const n = u32At(bytes, at + 1);
    if (n > SHORT_STRING || at + 5 + n > bytes.length) return this.string();
    let hash = n;
    for (let i = 0; i < n; i++) hash = (hash * 31 + bytes[at + 5 + i]!) | 0;
    const slot = hash & (KEY_CACHE_SIZE - 1);
    const cached = keyCache[slot];
    if (cached !== undefined && cached.length === n) {
      let same = true;
      for (let i = 0; i < n && same; i++) same = cached.charCodeAt(i) === bytes[at + 5 + i];
      if (same) {
        this.at = at + 5 + n;
        return cached;
      }
    }
    const key = this.string();
    keyCache[slot] = key;
    return key;
  }

  private stringOf(tag: Tag): string {
    const n = this.u32();
    const width = tag === Tag.Latin1 ? 1 : 2;
    if (n * width > this.bytes.length - this.at) throw new DataCloneError("A queue item's bytes are corrupt (a string runs past their end).");
    const bytes = this.bytes;
    let at = this.at;
    let text = "";
    if (n <= SHORT_STRING) {
      // A key or a short value: appending codes one by one beats building an argument list.
      if (width === 1) for (let i = 0; i < n; i++) text += String.fromCharCode(bytes[at++]!);
      else {
        for (let i = 0; i < n; i++, at += 2) text += String.fromCharCode(bytes[at]! | (bytes[at + 1]! << 8));
      }
      this.at = at;
      return text;
    }
    // In chunks: String.fromCharCode takes its codes as arguments.
    const codes = new Array<number>(Math.min(n, 4096));
    for (let done = 0; done < n; ) {
      const chunk = Math.min(n - done, 4096);
      codes.length = chunk;
      if (width === 1) for (let i = 0; i < chunk; i++) codes[i] = bytes[at++]!;
      else {
        for (let i = 0; i < chunk; i++) {
          codes[i] = bytes[at]! | (bytes[at + 1]! << 8);
          at += 2;
        }
      }
      text += String.fromCharCode.apply(null, codes);
      done += chunk;
    }
    this.at = at;
    return text;
  }

  value(): unknown {
    const tag = this.bytes[this.at++] as Tag;
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.True:
        return true;
      case Tag.False:
        return false;
      case Tag.Int:
        return this.u32() | 0;
      case Tag.Float: {
        const at = this.at;
        if (at + 8 > this.bytes.length) throw new DataCloneError("A queue item's bytes are corrupt (a number runs past their end).");
        const scratch = numberBytes();
        for (let i = 0; i < 8; i++) scratch.bytes[i] = this.bytes[at + i]!;
        this.at = at + 8;
        return scratch.float[0];
      }
      case Tag.BigInt:
        return BigInt(this.string());
      case Tag.Latin1:
      case Tag.Utf16:
        return this.stringOf(tag);
      case Tag.Reference: {
        const index = this.u32();
        if (index >= this.objects.length) throw new DataCloneError("A queue item's bytes are corrupt (a reference to nothing).");
        return this.objects[index];
      }
      default:
        return this.object(tag);
    }
  }

  private object(tag: Tag): unknown {
    const objects = this.objects;
    const index = objects.length;
    objects.push(undefined);
    switch (tag) {
      case Tag.Array: {
        const array: unknown[] = [];
        objects[index] = array;
        for (let n = this.count(); n > 0; n--) {
          if (this.bytes[this.at] === Tag.Hole) {
            this.at++;
            array.length++;
          } else array.push(this.value());
        }
        return array;
      }
      case Tag.Object: {
        const object: Record<string, unknown> = {};
        objects[index] = object;
        for (let n = this.count(); n > 0; n--) {
          const key = this.key();
          // Structured clone makes own data properties, never calling a setter. An
          // assignment does the same for a key no prototype has, the common case
          // (defineProperty for every key took 1.2-1.6 us to decode { id, name }, this
          // 0.5 us); __proto__, toString and the like, which an assignment would set
          // through the prototype (or fail on, where it is frozen), are defined.
          if (key in Object.prototype) Object.defineProperty(object, key, { value: this.value(), writable: true, enumerable: true, configurable: true });
          else object[key] = this.value();
        }
        return object;
      }
      case Tag.Map: {
        const map = new Map<unknown, unknown>();
        objects[index] = map;
        for (let n = this.count(); n > 0; n--) map.set(this.value(), this.value());
        return map;
      }
      case Tag.Set: {
        const set = new Set<unknown>();
        objects[index] = set;
        for (let n = this.count(); n > 0; n--) set.add(this.value());
        return set;
      }
      case Tag.Boxed: {
        const primitive = this.value();
        const type = typeof primitive;
        if (type !== "number" && type !== "string" && type !== "boolean" && type !== "bigint") break;
        return (objects[index] = Object(primitive));
      }
      case Tag.Date:
        return (objects[index] = new Date(this.value() as number));
      case Tag.RegExp:
        return (objects[index] = new RegExp(this.string(), this.string()));
      case Tag.Buffer:
        return (objects[index] = this.raw().buffer as ArrayBuffer);
      case Tag.View: {
        const View = viewKinds[this.bytes[this.at++]!];
        if (View === undefined) break;
        const buffer = this.raw().buffer as ArrayBuffer;
        const width = View === DataView ? 1 : (View as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
        return (objects[index] = new (View as unknown as new (buffer: ArrayBuffer, offset: number, length: number) => object)(buffer, 0, buffer.byteLength / width));
      }
      case Tag.Error: {
        const name = this.string();
        if (!Object.hasOwn(errorClasses, name)) break;
        const error = new errorClasses[name]!(this.string());
        objects[index] = error;
        const stack = this.value();
        if (typeof stack === "string") error.stack = stack;
        const cause = this.value();
        if (cause !== undefined) Object.defineProperty(error, "cause", { value: cause, writable: true, configurable: true });
        return error;
      }
    }
    throw new DataCloneError(`A queue item's bytes are corrupt (unknown tag ${tag}).`);
  }
}

/** The value whose bytes these are (`cloneToBytes`'s inverse). */
export function cloneFromBytes(bytes: Uint8Array): unknown {
  const reader = new Reader(bytes);
  let value: unknown;
  try {
    value = reader.value();
  } catch (error) {
    if (error instanceof DataCloneError) throw error;
    // Damaged or forged bytes that are well formed can still hold a bigint's digits,
    // a RegExp's flags or a nesting the engine refuses: the same error as any other.
    throw new DataCloneError(`A queue item's bytes are corrupt (${error instanceof Error ? error.message : String(error)}).`, { cause: error });
  }
  if (reader.at !== bytes.length) throw new DataCloneError("A queue item's bytes are corrupt (bytes left over).");
  return value;
}
