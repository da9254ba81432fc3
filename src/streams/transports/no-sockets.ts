/**
 * The browser build's stand-in for the Node socket transports: browsers have no TCP,
 * TLS or Unix sockets. Use a WebSocket or a MessagePort transport there. The
 * signatures are Node's (socket-api.ts), so shared code typechecks on both builds.
 */
import { RuntimeError } from "../../errors.js";
import type { AwaitableCoro } from "../../futures/awaitable.js";
import type { StreamReader } from "../reader.js";
import type { StreamWriter } from "../writer.js";
import type { ClientConnected, ConnectionOptionsOf, ServerApi, ServerOptionsOf, UnixConnectionOptions, UnixServerOptions } from "./socket-api.js";

export type { ClientConnected, UnixConnectionOptions, UnixServerOptions } from "./socket-api.js";

/** Options of `openConnection` (TLS options are Node's; there are no sockets here). */
export type ConnectionOptions = ConnectionOptionsOf<Record<string, unknown>>;

/** Options of `startServer` (TLS options are Node's; there are no sockets here). */
export type ServerOptions = ServerOptionsOf<Record<string, unknown>>;

function unavailable(name: string): never {
  throw new RuntimeError(`${name}() needs Node's sockets; in a browser, use openWebSocketConnection() or a MessagePort pipe.`);
}

/** Node only: a TCP or TLS connection. In a browser it throws `RuntimeError`. */
export function openConnection(_host: string, _port: number, _options?: ConnectionOptions): AwaitableCoro<[StreamReader, StreamWriter]> {
  return unavailable("openConnection");
}
/** Node only: a Unix socket connection. In a browser it throws `RuntimeError`. */
export function openUnixConnection(_path: string, _options?: UnixConnectionOptions): AwaitableCoro<[StreamReader, StreamWriter]> {
  return unavailable("openUnixConnection");
}
/** Node only: a TCP or TLS server. In a browser it throws `RuntimeError`. */
export function startServer(_clientConnected: ClientConnected, _host: string, _port: number, _options?: ServerOptions): AwaitableCoro<Server> {
  return unavailable("startServer");
}
/** Node only: a Unix socket server. In a browser it throws `RuntimeError`. */
export function startUnixServer(_clientConnected: ClientConnected, _path: string, _options?: UnixServerOptions): AwaitableCoro<Server> {
  return unavailable("startUnixServer");
}
/** Node only: a listening server (made by `startServer`). */
export abstract class Server implements ServerApi {
  /** The listening addresses. */
  abstract readonly sockets: Array<[string, number] | string>;
  /** Whether it accepts connections. */
  abstract isServing(): boolean;
  /** Stops accepting connections. */
  abstract close(): void;
  /** Waits until it has closed. */
  abstract waitClosed(): AwaitableCoro<void>;
  /** Waits until it is closed. */
  abstract serveForever(): AwaitableCoro<void>;
  /** `await using`: closes it and waits until it has closed. */
  abstract [Symbol.asyncDispose](): Promise<void>;
}
