import * as errors from "../errors.js";

/** An error as it crosses a thread: plain data, rebuilt on the other side. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly cause?: SerializedError | { readonly value: unknown };
  /** `ExceptionGroup`/`AggregateError` members. */
  readonly errors?: readonly SerializedError[];
  /** Own enumerable data properties that could be cloned (e.g. `exitCode`, `code`). */
  readonly fields?: Record<string, unknown>;
}

/** Causes and group members are followed this deep, on both sides. */
const MAX_DEPTH = 8;

type ErrorClass = new (message: string, options?: ErrorOptions) => Error;

/**
 * The library's own classes and the built-in ones come back as themselves. A Map,
 * not an object: a name that comes from the other thread must never reach
 * `Object.prototype` (`"constructor"`, `"__proto__"`, `"toString"`).
 */
const knownClasses = new Map<string, ErrorClass>([
  ["Error", Error],
  ["TypeError", TypeError],
  ["RangeError", RangeError],
  ["SyntaxError", SyntaxError],
  ["ReferenceError", ReferenceError],
  ["EvalError", EvalError],
  ["URIError", URIError],
  ["AsyncioError", errors.AsyncioError],
  ["CancelledError", errors.CancelledError],
  ["TimeoutError", errors.TimeoutError],
  ["InvalidStateError", errors.InvalidStateError],
  ["RuntimeError", errors.RuntimeError],
  ["ValueError", errors.ValueError],
  ["BrokenBarrierError", errors.BrokenBarrierError],
  ["QueueEmpty", errors.QueueEmpty],
  ["QueueFull", errors.QueueFull],
  ["QueueShutDown", errors.QueueShutDown],
  ["WorkerCrashedError", errors.WorkerCrashedError],
  ["DataCloneError", errors.DataCloneError],
  ["NotExposedError", errors.NotExposedError],
  ["ProtocolError", errors.ProtocolError],
  ["LockOwnerDiedError", errors.LockOwnerDiedError],
]);

/** Properties the rebuilt error sets itself; a serialized `fields` entry never overrides them. */
const RESERVED_FIELDS = new Set(["name", "message", "stack", "cause", "errors", "exceptions", "__proto__", "constructor"]);

/**
 * Turns any thrown value into data that survives structured clone. Reads the error
 * defensively: a getter that throws (or a proxy) costs that property, not the reply.
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    return { name: "Error", message: `non-Error value thrown: ${safeString(error)}`, stack: undefined, fields: { thrown: cloneable(error) } };
  }
  const fields: Record<string, unknown> = {};
  for (const key of safeKeys(error)) {
    if (RESERVED_FIELDS.has(key)) continue;
    const value = cloneable(read(error, key));
    if (value !== undefined) fields[key] = value;
  }
  const name = read(error, "name");
  const message = read(error, "message");
  const stack = read(error, "stack");
  const cause = read(error, "cause");
  const members = error instanceof AggregateError ? read(error, "errors") : undefined;
  return {
    name: typeof name === "string" ? name : "Error",
    message: typeof message === "string" ? message : safeString(message),
    stack: typeof stack === "string" ? stack : undefined,
    ...(cause !== undefined && depth < MAX_DEPTH
      ? { cause: cause instanceof Error ? serializeError(cause, depth + 1) : { value: cloneable(cause) } }
      : {}),
    ...(Array.isArray(members) && depth < MAX_DEPTH ? { errors: members.map((member) => serializeError(member, depth + 1)) } : {}),
    ...(Object.keys(fields).length ? { fields } : {}),
  };
}

/**
 * Whether `value` has the shape `serializeError` gives, checked all the way down
 * (bounded by the depth `serializeError` keeps): the protocol decoder's check of an
 * error payload from another thread.
 */
export function isSerializedError(value: unknown, depth = 0): value is SerializedError {
  if (typeof value !== "object" || value === null || Array.isArray(value) || depth > MAX_DEPTH) return false;
  const data = value as Record<string, unknown>;
  if (typeof data.name !== "string" || typeof data.message !== "string") return false;
  if (data.stack !== undefined && typeof data.stack !== "string") return false;
  if (data.fields !== undefined && (typeof data.fields !== "object" || data.fields === null || Array.isArray(data.fields))) return false;
  if (data.errors !== undefined && !(Array.isArray(data.errors) && data.errors.every((member) => isSerializedError(member, depth + 1)))) return false;
  const cause = data.cause;
  if (cause !== undefined) {
    if (typeof cause !== "object" || cause === null) return false;
    if (!Object.hasOwn(cause, "value") && !isSerializedError(cause, depth + 1)) return false;
  }
  return true;
}

/**
 * Rebuilds an error: the same class when it is a known one, else an `Error` with
 * the original name. Always an `Error`, whatever name the other side gave.
 */
export function deserializeError(data: SerializedError): Error {
  const cause =
    data.cause === undefined ? undefined : Object.hasOwn(data.cause, "value") ? (data.cause as { value: unknown }).value : deserializeError(data.cause as SerializedError);
  const options = cause === undefined ? undefined : { cause };
  let error: Error;
  if (data.errors !== undefined) {
    const members = data.errors.map(deserializeError);
    error =
      data.name === "ExceptionGroup" && members.length > 0
        ? new errors.ExceptionGroup(data.message, members)
        : new AggregateError(members, data.message, options);
    if (options) (error as { cause?: unknown }).cause = cause;
  } else {
    const Class = knownClasses.get(data.name) ?? Error;
    error = new Class(data.message, options);
  }
  if (error.name !== data.name) define(error, "name", data.name);
  if (data.stack !== undefined) define(error, "stack", data.stack);
  if (data.fields) {
    for (const key of Object.keys(data.fields)) if (!RESERVED_FIELDS.has(key)) define(error, key, data.fields[key]);
  }
  return error;
}

/** Sets an own data property (never through a setter or the prototype chain). */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, configurable: true, writable: true, enumerable: key !== "name" && key !== "stack" });
}

function read(target: object, key: string): unknown {
  try {
    return (target as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function safeKeys(target: object): string[] {
  try {
    return Object.keys(target);
  } catch {
    return [];
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return errors.describeValue(value);
  }
}

function cloneable(value: unknown): unknown {
  if (value === null || ["string", "number", "boolean", "bigint", "undefined"].includes(typeof value)) return value;
  try {
    return structuredClone(value);
  } catch {
    return undefined;
  }
}
