import { describe, expect, it } from "vitest";
import { type Coro, RuntimeError, createChannel, createTask, pipe, run, sleep, spawnWorker, streamsOfPort, transfer } from "../../src/index.js";
import type { api as MathApi } from "../threads/fixtures/math-worker.js";
import { mathWorkerUrl } from "../threads/fixtures/worker-url.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

describe("streams over a MessagePort", { timeout: 30_000 }, () => {
  it("carries bytes both ways through pipe(), with EOF", async () => {
    const seen = await run(
      (function* (): Coro<string[]> {
        const [[aReader, aWriter], [bReader, bWriter]] = pipe();
        aWriter.write("ping\n");
        const atB = text(yield* bReader.readline());
        bWriter.write(bytes("pong\n"));
        const atA = text(yield* aReader.readline());
        aWriter.writeEof();
        const rest = yield* bReader.read();
        aWriter.close();
        bWriter.close();
        return [atB, atA, String(rest.length)];
      })(),
    );
    expect(seen).toEqual(["ping\n", "pong\n", "0"]);
  });

  it("refuses a write to a closed writer with RuntimeError, on purpose unlike asyncio 3.13's silent drop (see StreamWriter.write)", async () => {
    const outcome = await run(
      (function* (): Coro<unknown[]> {
        const [[, writer], [reader]] = pipe();
        writer.write("kept\n");
        writer.close();
        let refused: unknown = null;
        try {
          writer.write("lost\n");
        } catch (error) {
          refused = error;
        }
        yield* writer.waitClosed();
        return [refused, text(yield* reader.read())];
      })(),
    );
    expect(outcome[0]).toBeInstanceOf(RuntimeError);
    expect((outcome[0] as Error).message).toMatch(/^write\(\) on a closed or closing StreamWriter/);
    expect(outcome[1]).toBe("kept\n"); // what was written before close() still arrives
  });

  it("makes the writer's drain() wait for a slow reader at the other end, and loses nothing", async () => {
    const outcome = await run(
      (function* (): Coro<{ received: number; blocked: boolean; intact: boolean }> {
        const [[, writer], [reader]] = pipe({ limit: 16 * 1024 });
        const total = 4 * 1024 * 1024;
        let blocked = false;
        const sending = createTask(
          (function* (): Coro<void> {
            const chunk = new Uint8Array(64 * 1024);
            for (let sent = 0; sent < total; sent += chunk.length) {
              chunk.fill((sent / chunk.length) % 251);
              writer.write(chunk);
              if (writer.transport.writeBlocked()) blocked = true;
              yield* writer.drain();
            }
            writer.writeEof();
          })(),
        );
        let received = 0;
        let intact = true;
        for (;;) {
          const block = yield* reader.read(8 * 1024);
          if (block.length === 0) break;
          const expected = Math.floor(received / (64 * 1024)) % 251;
          if (block[0] !== expected) intact = false;
          received += block.length;
          if (received % (256 * 1024) === 0) yield* sleep(1); // slow
        }
        yield* sending;
        writer.close();
        return { received, blocked, intact };
      })(),
    );
    expect(outcome).toEqual({ received: 4 * 1024 * 1024, blocked: true, intact: true });
  });

  it("runs a stream between this thread and a worker", async () => {
    const replies = await run(
      (function* (): Coro<string[]> {
        const worker = spawnWorker<typeof MathApi>(mathWorkerUrl);
        try {
          const { port1, port2 } = createChannel();
          const serving = worker.api.echoStream(transfer(port2 as object, [port2 as Transferable]));
          const [reader, writer] = streamsOfPort(port1);
          const replies: string[] = [];
          for (const line of ["one\n", "two\n"]) {
            writer.write(line);
            replies.push(text(yield* reader.readline()));
          }
          writer.writeEof();
          expect(yield* serving).toBe(2); // lines the worker echoed
          writer.close();
          return replies;
        } finally {
          yield* worker.close();
        }
      })(),
    );
    expect(replies).toEqual(["one\n", "two\n"]);
  });
});
