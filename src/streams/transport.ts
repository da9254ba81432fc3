import type { ReadFlowControl } from "./reader.js";

/**
 * What a stream writer needs of a byte transport (a Node socket, a WebSocket, a
 * MessagePort): each transport adapts one source to this.
 */
export interface Transport extends ReadFlowControl {
  write(data: Uint8Array): void;
  /** Whether the transport buffers more than its high-water mark (drain() waits while so). */
  writeBlocked(): boolean;
  canWriteEof(): boolean;
  writeEof(): void;
  close(): void;
  isClosing(): boolean;
  getExtraInfo(name: string): unknown;
  /** Upgrades the connection to TLS in place (Node sockets only). */
  startTls?(options: unknown): Promise<void>;
}

/** What a transport tells the writer: drained, or closed. */
export interface TransportEvents {
  resumeWriting(): void;
  connectionLost(error: unknown): void;
}
