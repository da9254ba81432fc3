import { host } from "#platform";
import { StreamReader } from "../reader.js";
import type { Transport } from "../transport.js";
import { StreamWriter } from "../writer.js";
import { checkPort } from "../../validate.js";
import type { Endpoint, TransferableObject } from "../../platform/endpoint.js";

/** Unacknowledged bytes in flight above which the writer's drain() waits. */
const HIGH_WATER = 256 * 1024;
const LOW_WATER = 64 * 1024;

type PortMessage = { readonly data: Uint8Array } | { readonly ack: number } | { readonly eof: true } | { readonly close: true };

/**
 * Streams over a MessagePort (a page and a worker, two Node threads). Backpressure
 * crosses the port as credit: the receiver acknowledges bytes as it accepts them,
 * and holds the acknowledgements back while its reader is paused, so the sender's
 * drain() waits for a slow reader on the other thread.
 *
 * @example
 * ```ts
 * const { port1, port2 } = createChannel();
 * yield* worker.api.serve(transfer(port2, [port2]));   // the worker calls streamsOfPort(port2)
 * const [reader, writer] = streamsOfPort(port1);
 * ```
 */
export function streamsOfPort(port: unknown, options: { limit?: number } = {}): [StreamReader, StreamWriter] {
  checkPort(port, "streamsOfPort");
  const endpoint: Endpoint = host.adaptPort(port);
  const reader = new StreamReader(options);
  let inFlight = 0;
  let withheldAck = 0;
  let paused = false;
  let closing = false;
  let ended = false;
  let readerEnded = false; // the other end sent EOF or closed
  const send = (message: PortMessage, transfer: TransferableObject[] = []): void => endpoint.postMessage(message, transfer);
  const transport: Transport = {
    write: (data) => {
      const copy = data.slice(); // the caller may reuse its buffer: move a copy
      inFlight += copy.length;
      send({ data: copy }, [copy.buffer]);
    },
    writeBlocked: () => inFlight > HIGH_WATER,
    canWriteEof: () => true,
    writeEof: () => send({ eof: true }),
    close: () => {
      if (closing) return;
      closing = true;
      send({ close: true });
      finish(undefined);
    },
    isClosing: () => closing || ended,
    pauseReading: () => {
      paused = true;
    },
    resumeReading: () => {
      paused = false;
      if (withheldAck > 0) {
        send({ ack: withheldAck });
        withheldAck = 0;
      }
    },
    getExtraInfo: (name) => (name === "port" ? port : undefined),
  };
  reader.setTransport(transport);
  const writer = new StreamWriter(transport, reader);
  const finish = (error: unknown): void => {
    if (ended) return;
    ended = true;
    endpoint.removeEventListener("message", onMessage);
    if (!reader.atEof() && reader.exception() === undefined) {
      if (error !== undefined) reader.setException(error);
      else if (!readerEnded) reader.feedEof();
    }
    writer.connectionLost(error);
    (port as { close?(): void }).close?.();
  };
  const onMessage = (event: { data: unknown }): void => {
    const message = event.data as PortMessage;
    if ("data" in message) {
      if (readerEnded) return;
      reader.feedData(message.data);
      // Acknowledge what was accepted, unless the reader is full: then later.
      if (paused) withheldAck += message.data.length;
      else send({ ack: message.data.length });
    } else if ("ack" in message) {
      inFlight -= message.ack;
      if (inFlight <= LOW_WATER) writer.resumeWriting();
    } else if ("eof" in message) {
      readerEnded = true;
      reader.feedEof();
    } else if ("close" in message) {
      readerEnded = true;
      if (!reader.atEof()) reader.feedEof();
      closing = true;
      finish(undefined);
    }
  };
  endpoint.addEventListener("message", onMessage);
  return [reader, writer];
}

/**
 * Two connected reader/writer pairs over a new MessageChannel: what one writes, the
 * other reads. Hand one port to a worker instead with `createChannel()` and
 * `streamsOfPort()`.
 *
 * @example
 * ```ts
 * const [[aReader, aWriter], [bReader, bWriter]] = pipe();
 * aWriter.write("hello\n");
 * yield* bReader.readline();
 * ```
 */
export function pipe(options: { limit?: number } = {}): [[StreamReader, StreamWriter], [StreamReader, StreamWriter]] {
  const { port1, port2 } = host.createChannel();
  return [streamsOfPort(port1, options), streamsOfPort(port2, options)];
}
