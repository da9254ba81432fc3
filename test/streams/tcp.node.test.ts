import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as tls from "node:tls";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CancelledError,
  ConnectionRefusedError,
  ConnectionResetError,
  HostNotFoundError,
  type Coro,
  type ExceptionContext,
  RuntimeError,
  SSLError,
  type StreamReader,
  type StreamWriter,
  createTask,
  getRunningLoop,
  openConnection,
  openUnixConnection,
  run,
  sleep,
  startServer,
  startUnixServer,
} from "../../src/index.js";
import { caught } from "../support/harness.js";

// Real sockets on loopback; the servers are started by the tests themselves.

const text = (data: Uint8Array): string => new TextDecoder().decode(data);

function* echo(reader: StreamReader, writer: StreamWriter): Coro<void> {
  for (;;) {
    const line = yield* reader.readline();
    if (line.length === 0) break;
    writer.write(line);
    yield* writer.drain();
  }
  writer.close();
}

const scratch = mkdtempSync(join(tmpdir(), "asyncio-ts-streams-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("TCP streams", { timeout: 30_000 }, () => {
  it("echoes lines through a real server on 127.0.0.1, port 0", async () => {
    const replies = await run(
      (function* (): Coro<string[]> {
        const server = yield* startServer(echo, "127.0.0.1", 0);
        const [host, port] = server.sockets[0] as [string, number];
        expect(host).toBe("127.0.0.1");
        const [reader, writer] = yield* openConnection(host, port);
        expect(writer.getExtraInfo<[string, number]>("peername")).toEqual(["127.0.0.1", port]);
        const replies: string[] = [];
        for (const line of ["hello\n", "world\n"]) {
          writer.write(line);
          replies.push(text(yield* reader.readline()));
        }
        writer.writeEof();
        expect((yield* reader.read()).length).toBe(0); // the server closes after EOF
        writer.close();
        yield* writer.waitClosed();
        expect(() => writer.write("late")).toThrow(RuntimeError);
        server.close();
        yield* server.waitClosed();
        return replies;
      })(),
    );
    expect(replies).toEqual(["hello\n", "world\n"]);
  });

  it("names the address when the connection is refused", async () => {
    const error = await run(
      (function* (): Coro<unknown> {
        const server = yield* startServer(echo, "127.0.0.1", 0);
        const [, port] = server.sockets[0] as [string, number];
        server.close();
        yield* server.waitClosed(); // now nothing listens on that port
        return yield* caught(openConnection("127.0.0.1", port));
      })(),
    );
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    expect((error as Error).message).toMatch(/Connection refused by 127\.0\.0\.1:\d+/);
  });

  it("makes a fast writer wait in drain() for a slow reader, and bounds the reader's buffer", async () => {
    const stats = await run(
      (function* (): Coro<{ received: number; blockedDrains: number; mostBuffered: number }> {
        let blockedDrains = 0;
        const total = 16 * 1024 * 1024;
        const server = yield* startServer(
          function* (_reader, writer) {
            const chunk = new Uint8Array(64 * 1024).fill(1);
            for (let sent = 0; sent < total; sent += chunk.length) {
              writer.write(chunk);
              if (writer.transport.writeBlocked()) blockedDrains++;
              yield* writer.drain();
            }
            writer.close();
          },
          "127.0.0.1",
          0,
        );
        const [, port] = server.sockets[0] as [string, number];
        const [reader, writer] = yield* openConnection("127.0.0.1", port, { limit: 64 * 1024 });
        let received = 0;
        let mostBuffered = 0;
        for (;;) {
          const block = yield* reader.read(16 * 1024);
          if (block.length === 0) break;
          received += block.length;
          mostBuffered = Math.max(mostBuffered, reader.buffered);
          if (received % (1024 * 1024) < 16 * 1024) yield* sleep(1); // a slow consumer
        }
        writer.close();
        server.close();
        return { received, blockedDrains, mostBuffered };
      })(),
    );
    expect(stats.received).toBe(16 * 1024 * 1024);
    expect(stats.blockedDrains).toBeGreaterThan(0);
    // Paused above 2 × limit; a socket read may add one more chunk before the pause lands.
    expect(stats.mostBuffered).toBeLessThanOrEqual(2 * 64 * 1024 + 256 * 1024);
  });

  it("reports a client handler's error to the loop's exception handler, and a cancelled one not at all", async () => {
    const reported: ExceptionContext[] = [];
    await run(
      (function* (): Coro<void> {
        getRunningLoop().setExceptionHandler((_loop, context) => reported.push(context));
        const server = yield* startServer(
          function* (reader) {
            const line = text(yield* reader.readline());
            if (line === "fail\n") throw new RangeError("handler failed");
            yield* sleep(60_000);
          },
          "127.0.0.1",
          0,
        );
        const [, port] = server.sockets[0] as [string, number];
        const [, waiting] = yield* openConnection("127.0.0.1", port);
        waiting.write("wait\n");
        const [failingReader, failing] = yield* openConnection("127.0.0.1", port);
        failing.write("fail\n");
        // The server reports the failure, then closes that connection: EOF here.
        expect((yield* failingReader.read()).length).toBe(0);
        server.close();
        failing.close();
        waiting.close();
      })(),
    );
    const failures = reported.filter((r) => r.message === "Unhandled exception in client_connected_cb");
    expect(failures).toHaveLength(1);
    expect((failures[0]!.exception as Error).message).toBe("handler failed");
  });

  it("talks over a Unix socket", async () => {
    const path = join(scratch, "echo.sock");
    const reply = await run(
      (function* (): Coro<string> {
        const server = yield* startUnixServer(echo, path);
        const [reader, writer] = yield* openUnixConnection(path);
        writer.write("over unix\n");
        const line = text(yield* reader.readline());
        writer.close();
        server.close();
        return line;
      })(),
    );
    expect(reply).toBe("over unix\n");
  });

  it("talks TLS with a certificate made at test time, and fails TLS against an untrusted one", async () => {
    const key = join(scratch, "key.pem");
    const cert = join(scratch, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore" });
    const credentials = { key: readFileSync(key), cert: readFileSync(cert) };
    const outcome = await run(
      (function* (): Coro<{ reply: string; untrusted: unknown }> {
        const server = yield* startServer(echo, "127.0.0.1", 0, { ssl: credentials });
        const [, port] = server.sockets[0] as [string, number];
        const [reader, writer] = yield* openConnection("127.0.0.1", port, { ssl: { ca: credentials.cert, servername: "localhost" } });
        writer.write("secret\n");
        const reply = text(yield* reader.readline());
        expect(writer.getExtraInfo<{ subject: { CN: string } }>("peercert").subject.CN).toBe("localhost");
        writer.close();
        const untrusted = yield* caught(openConnection("127.0.0.1", port, { ssl: true }));
        server.close();
        return { reply, untrusted };
      })(),
    );
    expect(outcome.reply).toBe("secret\n");
    expect(outcome.untrusted).toBeInstanceOf(SSLError);
  });

  it("upgrades a plain connection to TLS in place with startTls (STARTTLS)", async () => {
    const key = join(scratch, "starttls-key.pem");
    const cert = join(scratch, "starttls-cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore" });
    const credentials = { key: readFileSync(key), cert: readFileSync(cert) };
    // A server speaking plain text until STARTTLS, then TLS on the same socket.
    const server = net.createServer((raw) => {
      raw.once("data", () => {
        raw.write("GO AHEAD\n", () => {
          const secure = new tls.TLSSocket(raw, { isServer: true, ...credentials });
          secure.on("data", (data) => secure.write(data));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const reply = await run(
        (function* (): Coro<string> {
          const [reader, writer] = yield* openConnection("127.0.0.1", port);
          writer.write("STARTTLS\n");
          expect(text(yield* reader.readline())).toBe("GO AHEAD\n");
          yield* writer.startTls({ ca: credentials.cert, servername: "localhost" });
          expect(writer.getExtraInfo("cipher")).toBeDefined();
          writer.write("now encrypted\n");
          const line = text(yield* reader.readline());
          writer.close();
          return line;
        })(),
      );
      expect(reply).toBe("now encrypted\n");
    } finally {
      server.close();
    }
  });

  it("serves until serveForever is cancelled, which closes the server; and disposes with await using", async () => {
    await run(
      (function* (): Coro<void> {
        const server = yield* startServer(echo, "127.0.0.1", 0);
        const serving = createTask(server.serveForever());
        expect(server.isServing()).toBe(true);
        yield* sleep(0); // serving; a coroutine cancelled before it starts never runs
        serving.cancel();
        expect(yield* caught(serving)).toBeInstanceOf(CancelledError);
        yield* server.waitClosed();
        expect(server.isServing()).toBe(false);
      })(),
    );
    await run(async () => {
      {
        await using server = await startServer(echo, "127.0.0.1", 0);
        expect(server.isServing()).toBe(true);
      }
    });
  });

  it("names a host that cannot be resolved", async () => {
    const error = await run(
      (function* (): Coro<unknown> {
        return yield* caught(openConnection("no-such-host.invalid", 80));
      })(),
    );
    expect(error).toBeInstanceOf(HostNotFoundError);
    expect((error as Error).message).toMatch(/no-such-host\.invalid:80/);
  });

  it("raises ConnectionResetError, naming the address, when the peer resets the connection", async () => {
    const server = net.createServer((socket) => socket.once("data", () => socket.resetAndDestroy()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const error = await run(
        (function* (): Coro<unknown> {
          const [reader, writer] = yield* openConnection("127.0.0.1", port);
          writer.write("trigger\n");
          return yield* caught(reader.read());
        })(),
      );
      expect(error).toBeInstanceOf(ConnectionResetError);
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    } finally {
      server.close();
    }
  });
});
