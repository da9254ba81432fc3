/**
 * The public shape of the socket functions, the same on both builds: Node's
 * (node-socket.ts) implements it, and the browser's stand-in (no-sockets.ts) has the
 * same signatures, so an app's code and its types do not change with the platform.
 * Nothing here names a Node type: the browser's declarations must not need
 * `@types/node`. Node's build narrows `Tls` to `node:tls`'s option types.
 */
import type { AwaitableCoro } from "../../futures/awaitable.js";
import type { Coro } from "../../futures/coroutine.js";
import type { StreamReader } from "../reader.js";
import type { StreamWriter } from "../writer.js";

/** Options of `openConnection`. */
export interface ConnectionOptionsOf<Tls> {
  /** TLS: `true` or Node `tls.connect` options (`ca`, `servername`, `rejectUnauthorized`…). */
  ssl?: boolean | Tls;
  /** The reader's buffer limit (64 KiB by default). */
  limit?: number;
}

/** Options of `startServer`. */
export interface ServerOptionsOf<Tls> {
  /** TLS: Node `tls.createServer` options (`key`, `cert`…). */
  ssl?: Tls;
  /** The listen backlog. */
  backlog?: number;
  /** Each client reader's buffer limit. */
  limit?: number;
}

/** Options of `openUnixConnection`. */
export interface UnixConnectionOptions {
  /** The reader's buffer limit (64 KiB by default). */
  limit?: number;
}

/** Options of `startUnixServer`. */
export interface UnixServerOptions {
  /** Each client reader's buffer limit. */
  limit?: number;
  /** The listen backlog. */
  backlog?: number;
}

/** The coroutine (or function) that serves one client of a `Server`. */
export type ClientConnected = (reader: StreamReader, writer: StreamWriter) => Coro<unknown> | PromiseLike<unknown> | void;

/** What a listening server offers, as asyncio's `Server`. */
export interface ServerApi extends AsyncDisposable {
  /** The listening addresses, as `[host, port]` (TCP) or a path (Unix). */
  readonly sockets: Array<[string, number] | string>;
  /** Whether it accepts connections. */
  isServing(): boolean;
  /** Stops accepting connections; open connections stay until their handlers end. */
  close(): void;
  /** Waits until the server has stopped listening and every open connection closed. */
  waitClosed(): AwaitableCoro<void>;
  /** Waits until the server is closed; cancelling it closes the server. */
  serveForever(): AwaitableCoro<void>;
}
