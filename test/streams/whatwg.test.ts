import { describe, expect, it } from "vitest";
import { type Coro, readerFromReadableStream, run, toReadableStream, toWritableStream, writerFromWritableStream, StreamReader, pipe } from "../../src/index.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

function sourceOf(chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(bytes(chunk));
      controller.close();
    },
  });
}

describe("WHATWG streams interop", () => {
  it("reads lines from a ReadableStream", async () => {
    const lines = await run(
      (function* (): Coro<string[]> {
        const reader = readerFromReadableStream(sourceOf(["alpha\nbe", "ta\ngamma"]));
        const lines: string[] = [];
        for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) lines.push(text(line));
        return lines;
      })(),
    );
    expect(lines).toEqual(["alpha\n", "beta\n", "gamma"]);
  });

  it("stops pulling from the source while the reader is full", async () => {
    const pulls = await run(
      (function* (): Coro<number> {
        let pulled = 0;
        const source = new ReadableStream<Uint8Array>({
          pull(controller) {
            pulled++;
            controller.enqueue(new Uint8Array(1024));
          },
        });
        const reader = readerFromReadableStream(source, { limit: 1024 });
        yield* reader.readexactly(1);
        // Give the pump every chance to run on: it must have paused above 2 × limit.
        for (let i = 0; i < 20; i++) yield* (function* (): Coro<void> { yield; })();
        yield* reader.readexactly(1);
        return pulled;
      })(),
    );
    expect(pulls).toBeLessThan(10);
  });

  it("writes into a WritableStream, and drain() follows its queue", async () => {
    const written: string[] = [];
    await run(
      (function* (): Coro<void> {
        const sink = new WritableStream<Uint8Array>(
          {
            write(chunk) {
              written.push(text(chunk));
            },
          },
          { highWaterMark: 1 },
        );
        const writer = writerFromWritableStream(sink);
        writer.write("first ");
        yield* writer.drain();
        writer.write("second");
        yield* writer.drain();
        writer.close();
        yield* writer.waitClosed();
      })(),
    );
    expect(written.join("")).toBe("first second");
  });

  it("turns a reader into a ReadableStream and a writer into a WritableStream", async () => {
    const result = await run(async () => {
      const [[, aWriter], [bReader]] = pipe();
      const readable = toReadableStream(bReader);
      await sourceOf(["through ", "web streams"]).pipeTo(toWritableStream(aWriter));
      const collected: string[] = [];
      for await (const chunk of readable as unknown as AsyncIterable<Uint8Array>) collected.push(text(chunk));
      return collected.join("");
    });
    expect(result).toBe("through web streams");
    expect(new StreamReader().limit).toBe(64 * 1024);
  });
});
