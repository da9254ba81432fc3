/**
 * Streams: echo throughput over loopback TCP, 64 KiB writes with drain(), against
 * raw net.Socket piping in the same run; reading short lines against node:readline.
 */
import * as net from "node:net";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { type Coro, StreamReader, type StreamWriter, createTask, openConnection, run, startServer } from "asyncio-ts";
import type { BenchGroup } from "./harness.js";

const CHUNK = 64 * 1024;
const TOTAL = 64 * 1024 * 1024;

function* echoHandler(reader: StreamReader, writer: StreamWriter): Coro<void> {
  for (;;) {
    const block = yield* reader.read(CHUNK);
    if (block.length === 0) break;
    writer.write(block);
    yield* writer.drain();
  }
  writer.close();
}

function* echoThroughOurs(): Coro<void> {
  const server = yield* startServer(echoHandler, "127.0.0.1", 0);
  const [, port] = server.sockets[0] as [string, number];
  const [reader, writer] = yield* openConnection("127.0.0.1", port);
  const receiving = createTask(
    (function* (): Coro<number> {
      let received = 0;
      while (received < TOTAL) received += (yield* reader.read(CHUNK)).length;
      return received;
    })(),
  );
  const chunk = new Uint8Array(CHUNK);
  for (let sent = 0; sent < TOTAL; sent += CHUNK) {
    writer.write(chunk);
    yield* writer.drain();
  }
  yield* receiving;
  writer.close();
  server.close();
}

async function echoThroughRawSockets(): Promise<void> {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  let received = 0;
  const done = new Promise<void>((resolve) =>
    socket.on("data", (data: Buffer) => {
      received += data.length;
      if (received >= TOTAL) resolve();
    }),
  );
  const chunk = Buffer.alloc(CHUNK);
  for (let sent = 0; sent < TOTAL; sent += CHUNK) {
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once("drain", resolve));
  }
  await done;
  socket.destroy();
  server.close();
}

export const streamGroups: BenchGroup[] = [
  {
    name: "TCP echo over loopback, 64 KiB writes + drain, 64 MiB",
    ops: TOTAL / CHUNK,
    rounds: 7,
    cases: [
      { name: "asyncio-ts StreamReader/StreamWriter", run: () => run(echoThroughOurs()) },
      { name: "raw net.Socket, server pipes to itself", run: echoThroughRawSockets },
    ],
  },
];

const LINES = 100_000;
/** 1e5 short lines, fed in 64 KiB chunks as a socket would deliver them. */
const lineChunks: Uint8Array[] = (() => {
  const text = new TextEncoder().encode(Array.from({ length: LINES }, (_, i) => `line ${i} of the log\n`).join(""));
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < text.length; at += CHUNK) chunks.push(text.subarray(at, at + CHUNK));
  return chunks;
})();

function fedReader(): StreamReader {
  const reader = new StreamReader({ limit: 1 << 20 });
  for (const chunk of lineChunks) reader.feedData(chunk);
  reader.feedEof();
  return reader;
}

streamGroups.push({
  name: "reading 1e5 short lines already buffered",
  ops: LINES,
  rounds: 9,
  cases: [
    {
      name: 'asyncio-ts readuntil("\\n")',
      run: () =>
        run(
          (function* (): Coro<void> {
            const reader = fedReader();
            for (let i = 0; i < LINES; i++) yield* reader.readuntil("\n");
          })(),
        ),
    },
    {
      name: "asyncio-ts readline()",
      run: () =>
        run(
          (function* (): Coro<void> {
            const reader = fedReader();
            for (let i = 0; i < LINES; i++) yield* reader.readline();
          })(),
        ),
    },
    {
      name: "asyncio-ts for await (const line of reader)",
      run: () =>
        run(async () => {
          let count = 0;
          for await (const _line of fedReader()) count++;
          if (count !== LINES) throw new Error(`read ${count} lines`);
        }),
    },
    {
      name: "node:readline over a Readable of the same chunks",
      run: async () => {
        const lines = createInterface({ input: Readable.from(lineChunks.map((chunk) => Buffer.from(chunk))), crlfDelay: Infinity });
        let count = 0;
        for await (const _line of lines) count++;
        if (count !== LINES) throw new Error(`read ${count} lines`);
      },
    },
  ],
});
