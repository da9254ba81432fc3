import { ConnectionError } from "../errors.js";
import { StreamReader } from "./reader.js";
import type { Transport } from "./transport.js";
import { StreamWriter } from "./writer.js";

const encoder = new TextEncoder();

/**
 * A `StreamReader` fed from a WHATWG `ReadableStream` of bytes (a `fetch` body, a
 * file stream). Pulling stops while the reader is full, so backpressure reaches the
 * source.
 *
 * @example
 * ```ts
 * const response = yield* ensureFuture(fetch(url));
 * const reader = readerFromReadableStream(response.body!);
 * for (let line; (line = yield* reader.readline()).length > 0; ) handle(line);
 * ```
 */
export function readerFromReadableStream(stream: ReadableStream<Uint8Array>, options: { limit?: number } = {}): StreamReader {
  const reader = new StreamReader(options);
  const source = stream.getReader();
  let paused = false;
  let pulling = false;
  const pull = async (): Promise<void> => {
    if (pulling) return;
    pulling = true;
    try {
      while (!paused) {
        const { done, value } = await source.read();
        if (done) {
          reader.feedEof();
          return;
        }
        reader.feedData(typeof value === "string" ? encoder.encode(value) : value);
      }
    } catch (error) {
      reader.setException(error instanceof Error ? error : new ConnectionError(String(error)));
    } finally {
      pulling = false;
    }
  };
  reader.setTransport({
    pauseReading: () => {
      paused = true;
    },
    resumeReading: () => {
      paused = false;
      void pull();
    },
  });
  void pull();
  return reader;
}

/**
 * A `StreamWriter` onto a WHATWG `WritableStream`: `drain()` waits while the stream's
 * queue is full (its `desiredSize` is not positive).
 *
 * @example
 * ```ts
 * const writer = writerFromWritableStream(fileHandle.createWritable());
 * writer.write(bytes);
 * yield* writer.drain();
 * ```
 */
export function writerFromWritableStream(stream: WritableStream<Uint8Array>): StreamWriter {
  const sink = stream.getWriter();
  let closing = false;
  let closed = false;
  const transport: Transport = {
    write: (data) => {
      sink.write(data.slice()).catch((error: unknown) => writer.connectionLost(error));
      if ((sink.desiredSize ?? 1) <= 0) sink.ready.then(() => writer.resumeWriting(), () => {});
    },
    writeBlocked: () => (sink.desiredSize ?? 1) <= 0,
    canWriteEof: () => true,
    writeEof: () => transport.close(),
    close: () => {
      if (closing) return;
      closing = true;
      sink.close().then(
        () => {
          closed = true;
          writer.connectionLost(undefined);
        },
        (error: unknown) => writer.connectionLost(error),
      );
    },
    isClosing: () => closing || closed,
    pauseReading: () => {},
    resumeReading: () => {},
    getExtraInfo: (name) => (name === "stream" ? stream : undefined),
  };
  const writer = new StreamWriter(transport, null);
  return writer;
}

/**
 * A WHATWG `ReadableStream` of the bytes a `StreamReader` reads, to hand to
 * `Response`, `pipeTo` and the other web APIs.
 *
 * @example
 * ```ts
 * return new Response(toReadableStream(reader));
 * ```
 */
export function toReadableStream(reader: StreamReader, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await reader.read(chunkSize);
      if (chunk.length === 0) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

/**
 * A WHATWG `WritableStream` writing into a `StreamWriter`; each write waits for
 * `drain()`, so the web API's backpressure follows the transport's.
 *
 * @example
 * ```ts
 * await response.body!.pipeTo(toWritableStream(writer));
 * ```
 */
export function toWritableStream(writer: StreamWriter): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      writer.write(chunk);
      await writer.drain();
    },
    close() {
      writer.close();
    },
    abort() {
      writer.close();
    },
  });
}
