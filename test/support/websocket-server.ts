// vitest global setup for the browser project: a real WebSocket echo server on
// loopback (the ws package), whose URL the tests get with inject("wsUrl").
import type { TestProject } from "vitest/node";
import { WebSocketServer } from "ws";

declare module "vitest" {
  export interface ProvidedContext {
    wsUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  server.on("connection", (socket) => {
    // Echo every message back, bytes as bytes.
    socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  const address = server.address() as { port: number };
  project.provide("wsUrl", `ws://127.0.0.1:${address.port}`);
  return async () => {
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
