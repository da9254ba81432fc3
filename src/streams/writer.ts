import { RuntimeError, describeValue } from "../errors.js";
import { type AwaitableCoro, awaitable, makeMethodAwaitable } from "../futures/awaitable.js";
import { futureFromPromise } from "../futures/future-from-promise.js";
import { getRunningLoop } from "../loop/running-loop.js";
import type { Coro } from "../futures/coroutine.js";
import type { Future } from "../futures/future.js";
import { LoopBound } from "../futures/loop-bound.js";
import type { StreamReader } from "./reader.js";
import type { Transport, TransportEvents } from "./transport.js";

const encoder = new TextEncoder();

/**
 * Writes bytes to a transport, as asyncio's `StreamWriter`: `write` never waits;
 * `drain()` waits while the transport holds more than its high-water mark, which is
 * how a fast writer keeps pace with a slow reader at the other end.
 *
 * @example
 * ```ts
 * for (const chunk of chunks) {
 *   writer.write(chunk);
 *   yield* writer.drain();
 * }
 * writer.close();
 * yield* writer.waitClosed();
 * ```
 */
export class StreamWriter extends LoopBound implements TransportEvents {
  private drainWaiters: Future<void>[] = [];
  private closedWaiters: Future<void>[] = [];
  private closed = false;
  private lostWith: unknown = undefined;

  /** @internal Made by `openConnection`, `startServer` and the other transports' openers. */
  constructor(
    /** The transport it writes to. */
    readonly transport: Transport,
    private readonly reader: StreamReader | null,
  ) {
    super();
  }

  /**
   * Queues `data` (bytes, or a string as UTF-8) for sending. A closed or closing
   * writer refuses it with `RuntimeError` — on purpose unlike asyncio 3.13, which
   * drops the write silently and lets the next `drain()` raise
   * `ConnectionResetError`: data that is thrown away should not go unnoticed.
   *
   * @example
   * ```ts
   * writer.write("GET / HTTP/1.0\r\n\r\n");
   * yield* writer.drain();
   * ```
   */
  write(data: Uint8Array | string): void {
    if (this.transport.isClosing()) throw new RuntimeError("write() on a closed or closing StreamWriter: the connection is gone; open a new one.");
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw new TypeError(`StreamWriter.write expects bytes (Uint8Array) or a string, got ${describeValue(data)}`);
    }
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    if (bytes.length > 0) this.transport.write(bytes);
  }

  /** Writes each of `chunks`. */
  writelines(chunks: Iterable<Uint8Array | string>): void {
    for (const chunk of chunks) this.write(chunk);
  }

  /** Waits while the transport is above its high-water mark; raises if the connection failed. */
  drain(): AwaitableCoro<void> {
    return this.drainCoro() as AwaitableCoro<void>;
  }

  /** Whether the transport can half-close (send EOF and keep reading). */
  canWriteEof(): boolean {
    return this.transport.canWriteEof();
  }

  /** Sends EOF after the buffered data; the other side's reader reaches its end. */
  writeEof(): void {
    this.transport.writeEof();
  }

  /** Closes the connection after the buffered data is sent. */
  close(): void {
    this.transport.close();
  }

  /** Whether `close()` was called or the connection is gone. */
  isClosing(): boolean {
    return this.transport.isClosing();
  }

  /** Waits until the connection is fully closed. */
  waitClosed(): AwaitableCoro<void> {
    return this.waitClosedCoro() as AwaitableCoro<void>;
  }

  /**
   * Upgrades the connection to TLS in place (STARTTLS), after what was written so
   * far; the same reader and writer go on over TLS. Node TCP connections only.
   *
   * @example
   * ```ts
   * writer.write("STARTTLS\r\n");
   * yield* reader.readline();
   * yield* writer.startTls({ servername: "mail.example.com" });
   * ```
   */
  startTls(options: Record<string, unknown> = {}): AwaitableCoro<void> {
    const upgrade = this.transport.startTls;
    if (upgrade === undefined) throw new RuntimeError("startTls() needs a Node TCP connection; this transport cannot be upgraded.");
    return upgradeToTls(this, () => upgrade.call(this.transport, options));
  }

  /** Transport details: `peername`, `sockname`, `peercert`, `socket`… or `fallback`. */
  getExtraInfo<T = unknown>(name: string, fallback?: T): T {
    const value = this.transport.getExtraInfo(name);
    return (value === undefined ? fallback : value) as T;
  }

  /** @internal The transport drained below its low-water mark. */
  resumeWriting(): void {
    for (const waiter of this.drainWaiters.splice(0)) if (!waiter.done()) waiter.setResult();
  }

  /** @internal The connection is gone (`error` undefined for a clean close). */
  connectionLost(error: unknown): void {
    this.closed = true;
    this.lostWith = error;
    for (const waiter of this.drainWaiters.splice(0)) {
      if (waiter.done()) continue;
      if (error !== undefined) waiter.setException(error);
      else waiter.setResult();
    }
    for (const waiter of this.closedWaiters.splice(0)) if (!waiter.done()) waiter.setResult();
  }

  private *drainCoro(): Coro<void> {
    const readError = this.reader?.exception();
    if (readError !== undefined) throw readError;
    if (this.lostWith !== undefined) throw this.lostWith;
    if (this.closed || !this.transport.writeBlocked()) return;
    const waiter = this.loop().createFuture<void>();
    this.drainWaiters.push(waiter);
    yield* waiter;
  }

  private *waitClosedCoro(): Coro<void> {
    if (this.closed) return;
    const waiter = this.loop().createFuture<void>();
    this.closedWaiters.push(waiter);
    yield* waiter;
  }
}

const upgradeToTls = awaitable(function* upgradeToTls(writer: StreamWriter, upgrade: () => Promise<void>): Coro<void> {
  yield* writer.drain();
  yield* futureFromPromise(upgrade(), getRunningLoop());
});

makeMethodAwaitable(StreamWriter.prototype, "drainCoro");
makeMethodAwaitable(StreamWriter.prototype, "waitClosedCoro");
