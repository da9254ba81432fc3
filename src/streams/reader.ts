import { IncompleteReadError, LimitOverrunError, RuntimeError, ValueError, describeValue } from "../errors.js";
import { type AwaitableCoro, makeMethodAwaitable, runAsTask } from "../futures/awaitable.js";
import type { Coro } from "../futures/coroutine.js";
import type { Future } from "../futures/future.js";
import { LoopBound } from "../futures/loop-bound.js";
import { ByteBuffer } from "./byte-buffer.js";
import { checkInteger, checkOptions } from "../validate.js";

/** What a reader needs of its source for flow control. */
export interface ReadFlowControl {
  /** Stop delivering data: the reader holds more than twice its limit. */
  pauseReading(): void;
  /** Deliver again: reads made room. */
  resumeReading(): void;
}

/** asyncio's default: 64 KiB. */
export const DEFAULT_LIMIT = 64 * 1024;

const encoder = new TextEncoder();
const NEWLINE = encoder.encode("\n");

/**
 * Separators as bytes, by the string they were given as: a reader loop calls
 * `readuntil("\r\n")` once per line, and encoding the string each time cost a third
 * of such a read. Kept small: a program uses a handful of separators.
 */
const NEWLINE_ONLY: readonly Uint8Array[] = [NEWLINE];
const encodedSeparators = new Map<string, readonly Uint8Array[]>([["\n", NEWLINE_ONLY]]);
const MAX_ENCODED_SEPARATORS = 64;

function toBytes(separator: Uint8Array | string): Uint8Array {
  if (typeof separator === "string") return encoder.encode(separator);
  if (separator instanceof Uint8Array) return separator;
  throw new TypeError(`readuntil expects a separator as a string or a Uint8Array (or a list of them), got ${describeValue(separator)}`);
}

/** The separators of a `readuntil` call as bytes, shortest first (one allocation-free lookup for a string). */
function separatorsOf(separator: Uint8Array | string | ReadonlyArray<Uint8Array | string>): readonly Uint8Array[] {
  if (typeof separator === "string") {
    let encoded = encodedSeparators.get(separator);
    if (encoded === undefined) {
      if (encodedSeparators.size >= MAX_ENCODED_SEPARATORS) encodedSeparators.clear();
      encoded = [toBytes(separator)];
      encodedSeparators.set(separator, encoded);
    }
    return encoded;
  }
  return (Array.isArray(separator) ? separator : [separator]).map(toBytes).sort((a, b) => a.length - b.length);
}

/**
 * Buffers bytes from a source (a socket, a WebSocket, a port) and lets one task at a
 * time read them, as asyncio's `StreamReader`. It knows nothing of sockets: a
 * transport feeds it with `feedData`/`feedEof`. When more than twice `limit` bytes
 * are buffered, it pauses the source until reads make room (backpressure).
 * Cancelling a pending read loses no data: the bytes stay for the next read.
 *
 * @example
 * ```ts
 * const [reader, writer] = yield* openConnection("example.com", 80);
 * writer.write("GET / HTTP/1.0\r\n\r\n");
 * const status = yield* reader.readline();
 * const headers = yield* reader.readuntil("\r\n\r\n");
 * ```
 */
export class StreamReader extends LoopBound implements AsyncIterable<Uint8Array> {
  private readonly buffer = new ByteBuffer();
  private readonly bufferLimit: number;
  private eof = false;
  private waiter: Future<void> | null = null;
  private failure: unknown = undefined;
  private source: ReadFlowControl | null = null;
  private paused = false;

  /** A reader whose buffering is bounded by `limit` bytes (64 KiB by default). */
  constructor(options: { limit?: number } = {}) {
    super();
    checkOptions(options, "StreamReader");
    this.bufferLimit = checkInteger(options.limit ?? DEFAULT_LIMIT, "StreamReader option limit", 1);
  }

  /** The most bytes a `readline`/`readuntil` may span, and half the buffering before the source is paused. */
  get limit(): number {
    return this.bufferLimit;
  }

  /**
   * Bytes received and not yet read. It stays near twice `limit` at most: above
   * that the source is paused.
   *
   * @example
   * ```ts
   * if (reader.buffered > 0) console.log("data is waiting");
   * ```
   */
  get buffered(): number {
    return this.buffer.length;
  }

  /** The error the source failed with, if any. */
  exception(): unknown {
    return this.failure;
  }

  /** Called by the transport: the source failed; pending and later reads raise `error`. */
  setException(error: unknown): void {
    this.failure = error;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      if (!waiter.done()) waiter.setException(error);
    }
  }

  /** Called by the transport once: the source for pausing and resuming. */
  setTransport(source: ReadFlowControl): void {
    this.source = source;
  }

  /**
   * Called by the transport: bytes arrived. The reader keeps `data` as it is, not a
   * copy, and reads may return views of it: a transport must not write into a chunk
   * once it has fed it (sockets, WebSockets, ports and default stream readers all
   * hand over fresh chunks).
   *
   * @example
   * ```ts
   * const reader = new StreamReader();
   * reader.feedData(new TextEncoder().encode("hello\n"));
   * reader.feedEof();
   * ```
   */
  feedData(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new TypeError(`feedData expects bytes (a Uint8Array), got ${describeValue(data)}; encode text with TextEncoder first`);
    if (this.eof) throw new RuntimeError("feedData after feedEof: the stream already ended");
    if (data.length === 0) return;
    this.buffer.append(data);
    this.wakeUpWaiter();
    if (this.source !== null && !this.paused && this.buffer.length > 2 * this.bufferLimit) {
      this.paused = true;
      this.source.pauseReading();
    }
  }

  /** Called by the transport: the source ended. */
  feedEof(): void {
    this.eof = true;
    this.wakeUpWaiter();
  }

  /** Whether the source ended and every byte was read. */
  atEof(): boolean {
    return this.eof && this.buffer.length === 0;
  }

  /**
   * Reads up to `n` bytes (all until EOF with `n < 0`, the default). Returns an
   * empty array at EOF.
   */
  read(n = -1): AwaitableCoro<Uint8Array> {
    checkInteger(n, "read size (bytes; -1 for all until EOF)");
    return this.readCoro(n) as AwaitableCoro<Uint8Array>;
  }

  /** Reads one line, `\n` included; at EOF the last partial line, then an empty array. */
  readline(): AwaitableCoro<Uint8Array> {
    return this.readlineCoro() as AwaitableCoro<Uint8Array>;
  }

  /** Reads exactly `n` bytes; `IncompleteReadError` if the stream ends first. */
  readexactly(n: number): AwaitableCoro<Uint8Array> {
    checkInteger(n, "readexactly size (bytes)", 0);
    return this.readexactlyCoro(n) as AwaitableCoro<Uint8Array>;
  }

  /**
   * Reads up to and including the first separator (the earliest match of several).
   * `IncompleteReadError` at EOF without one; `LimitOverrunError` when none is found
   * within `limit` bytes — the data then stays in the buffer.
   */
  readuntil(separator: Uint8Array | string | ReadonlyArray<Uint8Array | string> = NEWLINE): AwaitableCoro<Uint8Array> {
    const separators = separatorsOf(separator);
    if (separators.length === 0) throw new ValueError("readuntil needs at least one separator");
    if (separators[0]!.length === 0) throw new ValueError("a separator must be at least one byte long");
    return this.readuntilCoro(separators) as AwaitableCoro<Uint8Array>;
  }

  /** `for await (const line of reader)`: lines until EOF. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    // By hand rather than an async generator: one promise per line, and a line that
    // is already buffered is read without a task. One that is not is read by a task,
    // as any coroutine async code awaits: a loop that closes meanwhile cancels it, so
    // the `for await` ends with CancelledError instead of waiting forever.
    const lineOf = (line: Uint8Array): IteratorResult<Uint8Array> => (line.length === 0 ? { done: true, value: undefined } : { done: false, value: line });
    return {
      next: () => {
        const line = this.takeBufferedThrough(NEWLINE);
        return line !== null ? Promise.resolve({ done: false, value: line }) : runAsTask(this.readlineCoro(), lineOf);
      },
      return: () => Promise.resolve({ done: true, value: undefined }),
    };
  }

  override toString(): string {
    return `<StreamReader ${this.buffered} bytes${this.eof ? " eof" : ""}${this.paused ? " paused" : ""}>`;
  }

  private *readCoro(n: number): Coro<Uint8Array> {
    if (this.failure !== undefined) throw this.failure;
    if (n === 0) return new Uint8Array(0);
    if (n < 0) {
      const blocks: Uint8Array[] = [];
      for (;;) {
        const block = yield* this.readCoro(this.bufferLimit);
        if (block.length === 0) break;
        blocks.push(block);
      }
      return concat(blocks);
    }
    if (this.buffer.length === 0 && !this.eof) yield* this.waitForData("read");
    const data = this.buffer.take(n);
    this.maybeResume();
    return data;
  }

  /**
   * What `readuntil(separator)` returns, taken at once if it is already in the
   * buffer within the limit; `null` otherwise (an error, a limit overrun, EOF or a
   * wait are the coroutine's to handle). The common case of reading lines then
   * needs no coroutine of its own: `for await` none per line, `readline()` one.
   */
  private takeBufferedThrough(separator: Uint8Array): Uint8Array | null {
    if (this.failure !== undefined) return null;
    const index = this.buffer.indexOf(separator, 0);
    if (index === -1 || index > this.bufferLimit) return null;
    const chunk = this.buffer.take(index + separator.length);
    this.maybeResume();
    return chunk;
  }

  private *readlineCoro(): Coro<Uint8Array> {
    const line = this.takeBufferedThrough(NEWLINE);
    if (line !== null) return line;
    try {
      return yield* this.readuntilCoro(NEWLINE_ONLY);
    } catch (error) {
      if (error instanceof IncompleteReadError) return error.partial;
      if (error instanceof LimitOverrunError) {
        // asyncio drops the over-long line so that the next readline can go on.
        if (this.buffer.startsWith(NEWLINE, error.consumed)) this.buffer.discard(error.consumed + NEWLINE.length);
        else this.buffer.clear();
        this.maybeResume();
        throw new ValueError(error.message);
      }
      throw error;
    }
  }

  private *readexactlyCoro(n: number): Coro<Uint8Array> {
    if (this.failure !== undefined) throw this.failure;
    if (n === 0) return new Uint8Array(0);
    while (this.buffer.length < n) {
      if (this.eof) {
        const partial = this.buffer.take(this.buffer.length);
        throw new IncompleteReadError(partial, n);
      }
      yield* this.waitForData("readexactly");
    }
    const data = this.buffer.take(n);
    this.maybeResume();
    return data;
  }

  private *readuntilCoro(separators: readonly Uint8Array[]): Coro<Uint8Array> {
    if (separators.length === 1) {
      const chunk = this.takeBufferedThrough(separators[0]!);
      if (chunk !== null) return chunk;
    }
    if (this.failure !== undefined) throw this.failure;
    const shortest = separators[0]!.length;
    const longest = separators[separators.length - 1]!.length;
    let offset = 0;
    let matchStart = -1;
    let matchEnd = -1;
    for (;;) {
      const length = this.buffer.length;
      if (length - offset >= shortest) {
        for (const separator of separators) {
          const index = this.buffer.indexOf(separator, offset);
          if (index !== -1 && (matchEnd === -1 || index + separator.length < matchEnd)) {
            matchStart = index;
            matchEnd = index + separator.length;
          }
        }
        if (matchEnd !== -1) break;
        // Next time, search only where a separator could still start.
        offset = Math.max(0, length + 1 - longest);
        if (offset > this.bufferLimit) throw new LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
      }
      if (this.eof) throw new IncompleteReadError(this.buffer.take(this.buffer.length), null);
      yield* this.waitForData("readuntil");
    }
    if (matchStart > this.bufferLimit) throw new LimitOverrunError("Separator is found, but chunk is longer than limit", matchStart);
    const chunk = this.buffer.take(matchEnd);
    this.maybeResume();
    return chunk;
  }

  private *waitForData(method: string): Coro<void> {
    if (this.waiter !== null) {
      throw new RuntimeError(`${method}() called while another task is already waiting for incoming data; read from one task at a time.`);
    }
    // Waiting while paused would wait forever.
    if (this.paused) {
      this.paused = false;
      this.source?.resumeReading();
    }
    const waiter = this.loop().createFuture<void>();
    this.waiter = waiter;
    try {
      yield* waiter;
    } finally {
      if (this.waiter === waiter) this.waiter = null;
    }
  }

  private wakeUpWaiter(): void {
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      if (!waiter.done()) waiter.setResult();
    }
  }

  private maybeResume(): void {
    if (this.paused && this.buffer.length <= this.bufferLimit) {
      this.paused = false;
      this.source?.resumeReading();
    }
  }
}

for (const method of ["readCoro", "readlineCoro", "readexactlyCoro", "readuntilCoro"]) makeMethodAwaitable(StreamReader.prototype, method);

function concat(blocks: Uint8Array[]): Uint8Array {
  if (blocks.length === 1) return blocks[0]!;
  const total = blocks.reduce((sum, block) => sum + block.length, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const block of blocks) {
    joined.set(block, offset);
    offset += block.length;
  }
  return joined;
}
