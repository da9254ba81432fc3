import { describe, expect, inject, it } from "vitest";
import { ConnectionError, type Coro, openWebSocketConnection, run } from "../../src/index.js";
import { caught } from "../support/harness.js";

const text = (data: Uint8Array): string => new TextDecoder().decode(data);

describe("openWebSocketConnection", () => {
  it("streams lines through a real WebSocket echo server", async () => {
    const replies = await run(
      (function* (): Coro<string[]> {
        const [reader, writer] = yield* openWebSocketConnection(inject("wsUrl"));
        expect(writer.canWriteEof()).toBe(false);
        const replies: string[] = [];
        writer.write("first line\nsecond ");
        writer.write(new TextEncoder().encode("line\n"));
        yield* writer.drain();
        replies.push(text(yield* reader.readline()), text(yield* reader.readline()));
        writer.close();
        yield* writer.waitClosed();
        return replies;
      })(),
    );
    expect(replies).toEqual(["first line\n", "second line\n"]);
  });

  it("fails with ConnectionError naming the URL when nothing listens", async () => {
    const error = await run(
      (function* (): Coro<unknown> {
        return yield* caught(openWebSocketConnection("ws://127.0.0.1:9/"));
      })(),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/ws:\/\/127\.0\.0\.1:9/);
  });
});
