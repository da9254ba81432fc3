import { createRequire } from "node:module";
import type * as net from "node:net";
import type * as tls from "node:tls";
import {
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  HostNotFoundError,
  SSLError,
  describeValue,
} from "../../errors.js";
import { type AwaitableCoro, awaitable } from "../../futures/awaitable.js";
import type { Coro } from "../../futures/coroutine.js";
import { isCoroutine, isPromiseLike } from "../../futures/coroutine.js";
import { Task } from "../../futures/task.js";
import type { EventLoop } from "../../loop/event-loop.js";
import { getRunningLoop } from "../../loop/running-loop.js";
import { StreamReader } from "../reader.js";
import type { Transport } from "../transport.js";
import type { ClientConnected, ConnectionOptionsOf, ServerApi, ServerOptionsOf, UnixConnectionOptions, UnixServerOptions } from "./socket-api.js";
import { StreamWriter } from "../writer.js";

// node:net and node:tls are loaded on first use: every worker thread imports this
// package, and compiling tls and what it pulls in cost about 10 ms of each
// worker's start-up, for threads that mostly never open a socket.
const requireBuiltin = createRequire(import.meta.url);
let netModule: typeof net | undefined;
let tlsModule: typeof tls | undefined;
const nodeNet = (): typeof net => (netModule ??= requireBuiltin("node:net") as typeof net);
const nodeTls = (): typeof tls => (tlsModule ??= requireBuiltin("node:tls") as typeof tls);

/** Options of `openConnection`: TLS options are Node's `tls.connect` ones. */
export type ConnectionOptions = ConnectionOptionsOf<tls.ConnectionOptions>;

/** Options of `startServer`: TLS options are Node's `tls.createServer` ones. */
export type ServerOptions = ServerOptionsOf<tls.TlsOptions>;

export type { ClientConnected, UnixConnectionOptions, UnixServerOptions } from "./socket-api.js";

/** Names a Node socket error the way asyncio would, with the address in the message. */
export function connectionError(error: unknown, address: string): Error {
  const code = (error as { code?: string })?.code;
  const reason = (error as Error)?.message ?? describeValue(error);
  const options = { cause: error, ...(code !== undefined ? { code } : {}) };
  if (code === "ECONNREFUSED") return new ConnectionRefusedError(`Connection refused by ${address}: nothing listens there`, options);
  if (code === "ECONNRESET" || code === "EPIPE") return new ConnectionResetError(`Connection to ${address} was reset by the peer`, options);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new HostNotFoundError(`Cannot resolve the host of ${address}: ${reason}`, options);
  if ((code !== undefined && /CERT|SSL|TLS/.test(code)) || /certificate|ssl|tls/i.test(reason)) {
    return new SSLError(`TLS with ${address} failed: ${reason}`, options);
  }
  return new ConnectionError(`Connection to ${address} failed: ${reason}`, options);
}

/** Wraps a connected Node socket in a reader and a writer. */
export function streamsOfSocket(initial: net.Socket, address: string, limit?: number): [StreamReader, StreamWriter] {
  const reader = new StreamReader(limit === undefined ? {} : { limit });
  let socket = initial;
  let closing = false;
  let failure: Error | undefined;
  const onData = (chunk: Buffer): void => reader.feedData(chunk);
  const onEnd = (): void => reader.feedEof();
  const onDrain = (): void => writer.resumeWriting();
  const onError = (error: Error): void => {
    failure = connectionError(error, address);
    reader.setException(failure);
  };
  const onClose = (): void => {
    if (!reader.atEof() && failure === undefined) reader.feedEof();
    writer.connectionLost(failure);
  };
  const attach = (target: net.Socket): void => {
    target.on("data", onData).on("end", onEnd).on("drain", onDrain).on("error", onError).on("close", onClose);
  };
  const detach = (target: net.Socket): void => {
    target.off("data", onData).off("end", onEnd).off("drain", onDrain).off("error", onError).off("close", onClose);
  };
  const transport: Transport = {
    write: (data) => void socket.write(data),
    writeBlocked: () => socket.writableNeedDrain,
    canWriteEof: () => true,
    writeEof: () => void socket.end(),
    close: () => {
      if (closing) return;
      closing = true;
      socket.end(() => socket.destroy());
    },
    isClosing: () => closing || socket.destroyed,
    pauseReading: () => void socket.pause(),
    resumeReading: () => void socket.resume(),
    getExtraInfo: (name) => {
      switch (name) {
        case "peername":
          return socket.remoteAddress === undefined ? undefined : [socket.remoteAddress, socket.remotePort];
        case "sockname":
          return [socket.localAddress, socket.localPort];
        case "socket":
          return socket;
        case "peercert":
          return socket instanceof nodeTls().TLSSocket ? socket.getPeerCertificate() : undefined;
        case "cipher":
          return socket instanceof nodeTls().TLSSocket ? socket.getCipher() : undefined;
        default:
          return undefined;
      }
    },
    startTls: (options) =>
      new Promise<void>((resolve, reject) => {
        // Upgrade in place (STARTTLS): the same reader and writer go on over TLS.
        detach(socket);
        const secure = nodeTls().connect({ ...(options as tls.ConnectionOptions), socket });
        const failed = (error: Error): void => {
          attach(socket);
          reject(connectionError(error, address));
        };
        secure.once("error", failed);
        secure.once("secureConnect", () => {
          secure.off("error", failed);
          socket = secure;
          attach(secure);
          resolve();
        });
      }),
  };
  reader.setTransport(transport);
  const writer = new StreamWriter(transport, reader);
  attach(socket);
  return [reader, writer];
}

/**
 * Opens a TCP (or, with `ssl`, TLS) connection and returns a reader and a writer,
 * as asyncio's `open_connection`. Connection refused, DNS and TLS failures are
 * `ConnectionRefusedError`, `HostNotFoundError` and `SSLError`, naming the address.
 *
 * @example
 * ```ts
 * const [reader, writer] = yield* openConnection("127.0.0.1", 8888);
 * writer.write("ping\n");
 * console.log(new TextDecoder().decode(yield* reader.readline()));
 * writer.close();
 * ```
 */
export function openConnection(host: string, port: number, options: ConnectionOptions = {}): AwaitableCoro<[StreamReader, StreamWriter]> {
  if (typeof port !== "number" || !Number.isInteger(port)) throw new TypeError(`openConnection expects a port number, got ${describeValue(port)}`);
  return connect(`${host}:${port}`, options, () => {
    if (!options.ssl) return nodeNet().connect({ host, port });
    return nodeTls().connect({ host, port, servername: nodeNet().isIP(host) ? undefined : host, ...(options.ssl === true ? {} : options.ssl) });
  });
}

/**
 * Opens a connection to a Unix socket at `path`, as asyncio's `open_unix_connection`.
 *
 * @example
 * ```ts
 * const [reader, writer] = yield* openUnixConnection("/tmp/app.sock");
 * ```
 */
export function openUnixConnection(path: string, options: UnixConnectionOptions = {}): AwaitableCoro<[StreamReader, StreamWriter]> {
  return connect(`unix:${path}`, options, () => nodeNet().connect({ path }));
}

const connect = awaitable(function* connect(address: string, options: { limit?: number; ssl?: unknown }, open: () => net.Socket): Coro<[StreamReader, StreamWriter]> {
  const loop = getRunningLoop();
  const connected = loop.createFuture<void>();
  const socket = open();
  const onError = (error: Error): void => {
    if (!connected.done()) connected.setException(connectionError(error, address));
  };
  socket.once("error", onError);
  socket.once(options.ssl ? "secureConnect" : "connect", () => {
    if (!connected.done()) connected.setResult();
  });
  try {
    yield* connected;
  } catch (error) {
    socket.destroy(); // cancelled or failed: nothing is left open
    throw error;
  } finally {
    socket.off("error", onError);
  }
  return streamsOfSocket(socket, address, options.limit);
});

/** What `startServer` calls for each client: a generator function, an async function, or a plain one. */
/**
 * A listening server, as asyncio's `Server`: `close()` stops accepting,
 * `waitClosed()` waits until it has, `serveForever()` waits until it is closed
 * (cancelling it closes the server), and `sockets` lists the listening addresses.
 */
export class Server implements ServerApi {
  private closedWaiters: Array<() => void> = [];
  private isClosedFlag = false;
  private readonly clients = new Set<Task<unknown>>();

  /** @internal Made by `startServer`. */
  constructor(
    private readonly server: net.Server,
    private readonly loop: EventLoop,
  ) {
    server.on("close", () => {
      this.isClosedFlag = true;
      for (const waiter of this.closedWaiters.splice(0)) waiter();
    });
  }

  /** The listening addresses, as `[host, port]` (TCP) or a path (Unix). */
  get sockets(): Array<[string, number] | string> {
    const address = this.server.address();
    if (address === null) return [];
    return [typeof address === "string" ? address : [address.address, address.port]];
  }

  /** Whether it accepts connections. */
  isServing(): boolean {
    return this.server.listening;
  }

  /** Stops accepting connections; open connections stay until their handlers end. */
  close(): void {
    if (this.server.listening) this.server.close();
  }

  /** Waits until the server has stopped listening and every open connection closed. */
  waitClosed(): AwaitableCoro<void> {
    return waitServerClosed(this);
  }

  /** Waits until the server is closed; cancelling it closes the server. */
  serveForever(): AwaitableCoro<void> {
    return serveForeverCoro(this);
  }

  /** `await using server = ...`: closes it and waits until it has closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** @internal */
  _onClosed(callback: () => void): void {
    if (this.isClosedFlag) callback();
    else this.closedWaiters.push(callback);
  }

  /** @internal Runs the client handler as a task; its errors reach the loop's exception handler. */
  _serve(clientConnected: ClientConnected, reader: StreamReader, writer: StreamWriter): void {
    this.loop.callSoon(() => {
      let outcome: unknown;
      try {
        outcome = clientConnected(reader, writer);
      } catch (error) {
        this.loop.callExceptionHandler({ message: "Unhandled exception in client_connected_cb", exception: error });
        writer.close();
        return;
      }
      if (!isCoroutine(outcome) && !isPromiseLike(outcome)) return;
      const task = new Task(isCoroutine(outcome) ? outcome : () => outcome as PromiseLike<unknown>, this.loop, { name: "client handler" });
      this.clients.add(task);
      task.addDoneCallback(() => {
        this.clients.delete(task);
        // Cancelling a handler is not an error; anything else is reported once.
        if (!task.cancelled() && task.exception() !== undefined) {
          this.loop.callExceptionHandler({ message: "Unhandled exception in client_connected_cb", exception: task.exception(), task });
          writer.close();
        }
      });
    });
  }
}

const waitServerClosed = awaitable(function* waitServerClosed(server: Server): Coro<void> {
  const loop = getRunningLoop();
  const closed = loop.createFuture<void>();
  server._onClosed(() => {
    if (!closed.done() && !loop.isClosed()) closed.setResult();
  });
  yield* closed;
});

const serveForeverCoro = awaitable(function* serveForeverCoro(server: Server): Coro<void> {
  try {
    yield* waitServerClosed(server);
  } finally {
    server.close();
  }
});

/**
 * Starts a TCP (or TLS) server calling `clientConnected(reader, writer)` for each
 * client, as asyncio's `start_server`. Port 0 picks a free port (see `sockets`).
 *
 * @example
 * ```ts
 * const server = yield* startServer(function* (reader, writer) {
 *   for (let line; (line = yield* reader.readline()).length > 0; ) writer.write(line);
 *   writer.close();
 * }, "127.0.0.1", 0);
 * const [, port] = server.sockets[0] as [string, number];
 * ```
 */
export function startServer(clientConnected: ClientConnected, host: string, port: number, options: ServerOptions = {}): AwaitableCoro<Server> {
  if (typeof clientConnected !== "function") throw new TypeError(`startServer expects a client handler function, got ${describeValue(clientConnected)}`);
  return listen(clientConnected, `${host}:${port}`, options, (server) => server.listen({ host, port, ...(options.backlog !== undefined ? { backlog: options.backlog } : {}) }));
}

/**
 * Starts a server on a Unix socket at `path`, as asyncio's `start_unix_server`.
 *
 * @example
 * ```ts
 * const server = yield* startUnixServer(handler, "/tmp/app.sock");
 * ```
 */
export function startUnixServer(clientConnected: ClientConnected, path: string, options: UnixServerOptions = {}): AwaitableCoro<Server> {
  return listen(clientConnected, `unix:${path}`, options, (server) => server.listen({ path, ...(options.backlog !== undefined ? { backlog: options.backlog } : {}) }));
}

const listen = awaitable(function* listen(
  clientConnected: ClientConnected,
  address: string,
  options: { ssl?: tls.TlsOptions; limit?: number },
  start: (server: net.Server) => void,
): Coro<Server> {
  const loop = getRunningLoop();
  const netServer = options.ssl ? nodeTls().createServer(options.ssl) : nodeNet().createServer();
  const server = new Server(netServer, loop);
  netServer.on(options.ssl ? "secureConnection" : "connection", (socket: net.Socket) => {
    if (loop.isClosed()) return socket.destroy();
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const [reader, writer] = streamsOfSocket(socket, peer, options.limit);
    server._serve(clientConnected, reader, writer);
  });
  const listening = loop.createFuture<void>();
  netServer.once("error", (error) => {
    if (!listening.done()) listening.setException(new ConnectionError(`Cannot listen on ${address}: ${error.message}`, { cause: error }));
  });
  netServer.once("listening", () => {
    if (!listening.done()) listening.setResult();
  });
  start(netServer);
  try {
    yield* listening;
  } catch (error) {
    netServer.close();
    throw error;
  }
  return server;
});
