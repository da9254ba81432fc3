/**
 * An echo server and client over TCP with asyncio-ts streams: the server handles
 * each client in its own task; the client sends lines and reads them back, then a
 * large upload shows drain() keeping a fast writer in step with the network.
 *
 * Run it: `npm run demo:echo`.
 */
import { type Coro, type StreamReader, type StreamWriter, openConnection, run, startServer } from "../src/index.js";

const decoder = new TextDecoder();

function* handleClient(reader: StreamReader, writer: StreamWriter): Coro<void> {
  const [host, port] = writer.getExtraInfo<[string, number]>("peername");
  console.log(`server: client ${host}:${port} connected`);
  let bytes = 0;
  for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) {
    bytes += line.length;
    writer.write(line); // echo
    yield* writer.drain();
  }
  console.log(`server: client ${host}:${port} done after ${bytes} bytes`);
  writer.close();
}

function* main(): Coro<void> {
  const server = yield* startServer(handleClient, "127.0.0.1", 0);
  const [, port] = server.sockets[0] as [string, number];
  console.log(`server: listening on 127.0.0.1:${port}`);

  const [reader, writer] = yield* openConnection("127.0.0.1", port);
  for (const message of ["hello", "asyncio", "in TypeScript"]) {
    writer.write(`${message}\n`);
    console.log(`client: sent "${message}", got back "${decoder.decode(yield* reader.readline()).trimEnd()}"`);
  }

  const line = new TextEncoder().encode(`${"x".repeat(64 * 1024 - 1)}\n`);
  const started = performance.now();
  let echoed = 0;
  const total = 256;
  for (let i = 0; i < total; i++) {
    writer.write(line);
    yield* writer.drain(); // waits whenever the socket's buffer is full
    echoed += (yield* reader.readline()).length;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`client: echoed ${(echoed / 2 ** 20).toFixed(0)} MiB in ${seconds.toFixed(2)} s (${(echoed / 2 ** 20 / seconds).toFixed(0)} MiB/s)`);

  writer.writeEof();
  yield* reader.read(); // the server closes after our EOF
  writer.close();
  server.close();
  yield* server.waitClosed();
  console.log("done");
}

await run(main());
