import type { ReadFlowControl } from "./reader.js";

/**
 * What a stream writer needs of a byte transport (a Node socket, a WebSocket, a
 * MessagePort): each transport adapts one source to this.
 */
export interface Transport extends ReadFlowControl {
  /** Sends `data` (buffering what cannot go out yet). */
  write(data: Uint8Array): void;
  /** Whether the transport buffers more than its high-water mark (drain() waits while so). */
  writeBlocked(): boolean;
  /** Whether the transport can half-close (end writing and keep reading). */
  canWriteEof(): boolean;
  /** Ends writing; reading goes on. */
  writeEof(): void;
  /** Closes the transport after what is buffered went out. */
  close(): void;
  /** Whether `close()` was called or the transport is gone. */
  isClosing(): boolean;
  /** Transport details by name (`peername`, `sockname`, `peercert`, …). */
  getExtraInfo(name: string): unknown;
  /** Upgrades the connection to TLS in place (Node sockets only). */
  startTls?(options: unknown): Promise<void>;
}

/** What a transport tells the writer: drained, or closed. */
export interface TransportEvents {
  /** The transport's buffer fell below its low-water mark: `drain()` may return. */
  resumeWriting(): void;
  /** The transport closed, with the error when it failed. */
  connectionLost(error: unknown): void;
}
