import { ConnectionError, RuntimeError } from "../../errors.js";
import { type AwaitableCoro, awaitable } from "../../futures/awaitable.js";
import type { Coro } from "../../futures/coroutine.js";
import { getRunningLoop } from "../../loop/running-loop.js";
import type { TimerHandle } from "../../loop/handles.js";
import { StreamReader } from "../reader.js";
import type { Transport } from "../transport.js";
import { StreamWriter } from "../writer.js";

/** Bytes buffered by the WebSocket above which drain() waits. */
const HIGH_WATER = 1024 * 1024;
/** WebSocket has no "drained" event: while blocked, bufferedAmount is checked this often (ms). */
const DRAIN_POLL_MS = 5;

/** Options of `openWebSocketConnection`. */
export interface WebSocketOptions {
  /** The reader's buffer limit. A WebSocket cannot be paused, so this bounds nothing on the wire. */
  limit?: number;
  /** Subprotocols to offer. */
  protocols?: string | string[];
  /** A WebSocket class, where there is no global one (Node 20: the `ws` package). */
  WebSocket?: typeof WebSocket;
}

/**
 * Opens a binary WebSocket and returns a reader and a writer over it: bytes in
 * messages are the stream. `drain()` waits while the socket buffers more than 1 MiB.
 * A WebSocket cannot pause its input, so a slow reader does not slow the sender.
 *
 * @example
 * ```ts
 * const [reader, writer] = yield* openWebSocketConnection("wss://example.com/stream");
 * writer.write("subscribe\n");
 * const line = yield* reader.readline();
 * ```
 */
export function openWebSocketConnection(url: string | URL, options: WebSocketOptions = {}): AwaitableCoro<[StreamReader, StreamWriter]> {
  const Socket = options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (Socket === undefined) throw new RuntimeError("No WebSocket class here: pass one as options.WebSocket (in Node 20, from the ws package).");
  return openSocket(new Socket(url, options.protocols), String(url), options.limit);
}

const openSocket = awaitable(function* openSocket(socket: WebSocket, address: string, limit: number | undefined): Coro<[StreamReader, StreamWriter]> {
  const loop = getRunningLoop();
  socket.binaryType = "arraybuffer";
  const opened = loop.createFuture<void>();
  socket.onopen = () => {
    if (!opened.done()) opened.setResult();
  };
  socket.onerror = () => {
    if (!opened.done()) opened.setException(new ConnectionError(`WebSocket connection to ${address} failed`));
  };
  socket.onclose = (event) => {
    if (!opened.done()) opened.setException(new ConnectionError(`WebSocket to ${address} closed before it opened (code ${event.code})`));
  };
  try {
    yield* opened;
  } catch (error) {
    socket.close();
    throw error;
  }

  const reader = new StreamReader(limit === undefined ? {} : { limit });
  let drainPoll: TimerHandle | null = null;
  const pollDrain = (): void => {
    drainPoll = null;
    if (socket.bufferedAmount <= HIGH_WATER) writer.resumeWriting();
    else drainPoll = loop.callLater(DRAIN_POLL_MS, pollDrain);
  };
  const transport: Transport = {
    write: (data) => {
      socket.send(data as Uint8Array<ArrayBuffer>);
      if (socket.bufferedAmount > HIGH_WATER && drainPoll === null) drainPoll = loop.callLater(DRAIN_POLL_MS, pollDrain);
    },
    writeBlocked: () => socket.bufferedAmount > HIGH_WATER,
    canWriteEof: () => false,
    writeEof: () => {
      throw new RuntimeError("A WebSocket cannot half-close: use close().");
    },
    close: () => socket.close(),
    isClosing: () => socket.readyState >= 2,
    pauseReading: () => {},
    resumeReading: () => {},
    getExtraInfo: (name) => (name === "peername" ? address : name === "protocol" ? socket.protocol : name === "socket" ? socket : undefined),
  };
  reader.setTransport(transport);
  const writer = new StreamWriter(transport, reader);
  let failed = false;
  socket.onmessage = (event) => {
    const data = event.data;
    reader.feedData(typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data as ArrayBuffer));
  };
  socket.onerror = () => {
    failed = true;
    reader.setException(new ConnectionError(`WebSocket to ${address} failed`));
  };
  socket.onclose = (event) => {
    drainPoll?.cancel();
    if (!failed) reader.feedEof();
    writer.connectionLost(event.wasClean || failed ? undefined : new ConnectionError(`WebSocket to ${address} closed (code ${event.code})`));
  };
  return [reader, writer];
});
