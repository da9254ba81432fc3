/**
 * The browser build's stand-in for the Node socket transports: browsers have no TCP,
 * TLS or Unix sockets. Use a WebSocket or a MessagePort transport there.
 */
import { RuntimeError } from "../../errors.js";

function unavailable(name: string): never {
  throw new RuntimeError(`${name}() needs Node's sockets; in a browser, use openWebSocketConnection() or a MessagePort pipe.`);
}

export function openConnection(): never {
  return unavailable("openConnection");
}
export function openUnixConnection(): never {
  return unavailable("openUnixConnection");
}
export function startServer(): never {
  return unavailable("startServer");
}
export function startUnixServer(): never {
  return unavailable("startUnixServer");
}
export class Server {
  constructor() {
    unavailable("Server");
  }
}
