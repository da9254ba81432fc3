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

// The library's own classes and the built-in ones come back as themselves.
const knownClasses: Record<string, new (message: string, options?: ErrorOptions) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AsyncioError: errors.AsyncioError,
  CancelledError: errors.CancelledError,
  TimeoutError: errors.TimeoutError,
  InvalidStateError: errors.InvalidStateError,
  RuntimeError: errors.RuntimeError,
  ValueError: errors.ValueError,
  BrokenBarrierError: errors.BrokenBarrierError,
  QueueEmpty: errors.QueueEmpty,
  QueueFull: errors.QueueFull,
  QueueShutDown: errors.QueueShutDown,
  WorkerCrashedError: errors.WorkerCrashedError,
  DataCloneError: errors.DataCloneError,
  NotExposedError: errors.NotExposedError,
};

/** Turns any thrown value into data that survives structured clone. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    return { name: "Error", message: `non-Error value thrown: ${String(error)}`, stack: undefined, fields: { thrown: cloneable(error) } };
  }
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === "cause" || key === "errors" || key === "exceptions") continue;
    const value = cloneable((error as unknown as Record<string, unknown>)[key]);
    if (value !== undefined) fields[key] = value;
  }
  const cause = (error as { cause?: unknown }).cause;
  const members = error instanceof AggregateError ? error.errors : undefined;
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    ...(cause !== undefined && depth < 8
      ? { cause: cause instanceof Error ? serializeError(cause, depth + 1) : { value: cloneable(cause) } }
      : {}),
    ...(members && depth < 8 ? { errors: members.map((member) => serializeError(member, depth + 1)) } : {}),
    ...(Object.keys(fields).length ? { fields } : {}),
  };
}

/** Rebuilds an error: the same class when it is a known one, else an `Error` with the original name. */
export function deserializeError(data: SerializedError): Error {
  const cause =
    data.cause === undefined ? undefined : "name" in data.cause ? deserializeError(data.cause as SerializedError) : data.cause.value;
  const options = cause === undefined ? undefined : { cause };
  let error: Error;
  if (data.errors !== undefined) {
    const members = data.errors.map(deserializeError);
    error = data.name === "ExceptionGroup" ? new errors.ExceptionGroup(data.message, members) : new AggregateError(members, data.message, options);
    if (options) (error as { cause?: unknown }).cause = cause;
  } else {
    const Class = knownClasses[data.name] ?? Error;
    error = new Class(data.message, options);
  }
  if (error.name !== data.name) Object.defineProperty(error, "name", { value: data.name, configurable: true, writable: true });
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.fields) Object.assign(error, data.fields);
  return error;
}

function cloneable(value: unknown): unknown {
  if (value === null || ["string", "number", "boolean", "bigint", "undefined"].includes(typeof value)) return value;
  try {
    return structuredClone(value);
  } catch {
    return undefined;
  }
}
