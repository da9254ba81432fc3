import { describe, expect, it } from "vitest";
import {
  CancelledError,
  IncompleteReadError,
  LimitOverrunError,
  RuntimeError,
  StreamReader,
  ValueError,
  createTask,
  getRunningLoop,
  sleep,
} from "../../src/index.js";
import { Log, caught, runV } from "../support/harness.js";

// Modelled on CPython's Lib/test/test_asyncio/test_streams.py (StreamReader tests).

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

describe("StreamReader", () => {
  it("reads what was fed, up to n bytes at a time", async () => {
    await runV(function* () {
      const reader = new StreamReader();
      reader.feedData(bytes("line1\nline2\n"));
      expect(text(yield* reader.read(5))).toBe("line1");
      expect(text(yield* reader.read(100))).toBe("\nline2\n");
      reader.feedEof();
      expect((yield* reader.read(10)).length).toBe(0);
      expect(reader.atEof()).toBe(true);
    });
  });

  it("waits for data, and read(-1) reads until EOF", async () => {
    await runV(function* () {
      const reader = new StreamReader();
      const loop = getRunningLoop();
      loop.callLater(10, () => reader.feedData(bytes("chunk1 ")));
      loop.callLater(20, () => reader.feedData(bytes("chunk2")));
      loop.callLater(30, () => reader.feedEof());
      expect(text(yield* reader.read())).toBe("chunk1 chunk2");
    });
  });

  it("reads lines, and the last partial line at EOF", async () => {
    await runV(function* () {
      const reader = new StreamReader();
      reader.feedData(bytes("first\nsec"));
      getRunningLoop().callLater(5, () => {
        reader.feedData(bytes("ond\nlast"));
        reader.feedEof();
      });
      expect(text(yield* reader.readline())).toBe("first\n");
      expect(text(yield* reader.readline())).toBe("second\n");
      expect(text(yield* reader.readline())).toBe("last");
      expect((yield* reader.readline()).length).toBe(0);
    });
  });

  it("reads exactly n bytes, or fails with IncompleteReadError holding the partial data", async () => {
    await runV(function* () {
      const reader = new StreamReader();
      reader.feedData(bytes("abcdef"));
      expect(text(yield* reader.readexactly(4))).toBe("abcd");
      reader.feedEof();
      const error = yield* caught(reader.readexactly(5));
      expect(error).toBeInstanceOf(IncompleteReadError);
      expect(text((error as IncompleteReadError).partial)).toBe("ef");
      expect((error as IncompleteReadError).expected).toBe(5);
      expect(() => reader.readexactly(-1)).toThrow(ValueError);
    });
  });

  it("reads until the earliest of several separators", async () => {
    await runV(function* () {
      const reader = new StreamReader();
      reader.feedData(bytes("key=value;next\r\nrest"));
      expect(text(yield* reader.readuntil([";", "\r\n"]))).toBe("key=value;");
      expect(text(yield* reader.readuntil(["\r\n", ";"]))).toBe("next\r\n");
      reader.feedEof();
      const error = yield* caught(reader.readuntil(";"));
      expect(error).toBeInstanceOf(IncompleteReadError);
      expect(text((error as IncompleteReadError).partial)).toBe("rest");
    });
  });

  it("finds a separator split across two chunks", async () => {
    await runV(function* () {
      const reader = new StreamReader();
      reader.feedData(bytes("head\r"));
      getRunningLoop().callLater(1, () => reader.feedData(bytes("\nbody")));
      expect(text(yield* reader.readuntil("\r\n"))).toBe("head\r\n");
    });
  });

  it("raises LimitOverrunError past the limit and keeps the data in the buffer", async () => {
    await runV(function* () {
      const reader = new StreamReader({ limit: 4 });
      reader.feedData(bytes("too long line\n"));
      const error = yield* caught(reader.readuntil("\n"));
      expect(error).toBeInstanceOf(LimitOverrunError);
      expect((error as LimitOverrunError).consumed).toBe(13);
      expect(text(yield* reader.readexactly(14))).toBe("too long line\n"); // nothing was lost
    });
  });

  it("drops an over-long line on readline, with a ValueError, so the next line can be read", async () => {
    await runV(function* () {
      const reader = new StreamReader({ limit: 4 });
      reader.feedData(bytes("much too long\nok\n"));
      expect(yield* caught(reader.readline())).toBeInstanceOf(ValueError);
      expect(text(yield* reader.readline())).toBe("ok\n");
    });
  });

  it("loses no data when a pending read is cancelled", async () => {
    await runV(function* () {
      const reader = new StreamReader();
      const pending = createTask(reader.readexactly(6));
      yield* sleep(1);
      reader.feedData(bytes("abc"));
      yield* sleep(1);
      pending.cancel();
      expect(yield* caught(pending)).toBeInstanceOf(CancelledError);
      reader.feedData(bytes("def"));
      expect(text(yield* reader.readexactly(6))).toBe("abcdef");
    });
  });

  it("allows one waiting read at a time", async () => {
    await runV(function* () {
      const reader = new StreamReader();
      const first = createTask(reader.read(1));
      yield* sleep(0);
      expect(yield* caught(reader.read(1))).toBeInstanceOf(RuntimeError);
      reader.feedData(bytes("x"));
      expect(text(yield* first)).toBe("x");
    });
  });

  it("raises the source's error from pending and later reads", async () => {
    await runV(function* () {
      const reader = new StreamReader();
      const pending = createTask(reader.read(1));
      yield* sleep(0);
      const reset = new Error("connection reset");
      reader.setException(reset);
      expect(yield* caught(pending)).toBe(reset);
      expect(yield* caught(reader.readline())).toBe(reset);
    });
  });

  it("pauses its source above twice the limit and resumes it when reads make room", async () => {
    const log = new Log();
    await runV(function* () {
      const reader = new StreamReader({ limit: 4 });
      reader.setTransport({ pauseReading: () => log.add("pause"), resumeReading: () => log.add("resume") });
      reader.feedData(bytes("12345678")); // 8: not above 2 × 4
      reader.feedData(bytes("9")); // 9: pause
      yield* reader.read(3); // 6 left: still above the limit
      yield* reader.read(3); // 3 left: resume
    });
    expect(log.events).toEqual(["pause", "resume"]);
  });

  it("iterates lines with for await", async () => {
    const lines = await (async () => {
      const { run } = await import("../../src/index.js");
      return run(async () => {
        const reader = new StreamReader();
        reader.feedData(bytes("a\nb\nc"));
        reader.feedEof();
        const seen: string[] = [];
        for await (const line of reader) seen.push(text(line));
        return seen;
      });
    })();
    expect(lines).toEqual(["a\n", "b\n", "c"]);
  });

  it("waits in for await for lines that arrive later, rejects with the stream's error, and stops on break", async () => {
    const { run, getRunningLoop, ConnectionResetError, VirtualClock } = await import("../../src/index.js");
    // On virtual time: on the real clock a late wake-up ran the 10 and 15 ms timers in
    // one iteration, and the error (raised ahead of buffered data, as asyncio does) hid "partial".
    const outcome = await run(async () => {
      const loop = getRunningLoop();
      const reader = new StreamReader();
      loop.callLater(5, () => reader.feedData(bytes("late\npart")));
      loop.callLater(10, () => reader.feedData(bytes("ial\n")));
      loop.callLater(15, () => reader.setException(new ConnectionResetError("reset by the peer")));
      const seen: string[] = [];
      try {
        for await (const line of reader) seen.push(text(line));
      } catch (error) {
        seen.push(`error: ${(error as Error).message}`);
      }
      const again = new StreamReader();
      again.feedData(bytes("1\n2\n3\n"));
      for await (const line of again) {
        seen.push(`first: ${text(line)}`);
        break;
      }
      seen.push(`left: ${again.buffered}`);
      return seen;
    }, { clock: new VirtualClock() });
    expect(outcome).toEqual(["late\n", "partial\n", "error: reset by the peer", "first: 1\n", "left: 4"]);
  });

  it("ends a for await left waiting with CancelledError when its loop closes, instead of leaving it pending", async () => {
    const { run, VirtualClock } = await import("../../src/index.js");
    let iteration: Promise<string> | undefined;
    await run(
      async () => {
        const reader = new StreamReader();
        reader.feedData(bytes("first\n"));
        // Started and left behind: nothing more arrives before run() ends.
        iteration = (async () => {
          const seen: string[] = [];
          for await (const line of reader) seen.push(text(line));
          return seen.join("");
        })();
        await sleep(5);
      },
      { clock: new VirtualClock() },
    );
    await expect(iteration).rejects.toBeInstanceOf(CancelledError);
  });

  it("refuses a limit that is not positive, and data after EOF", async () => {
    expect(() => new StreamReader({ limit: 0 })).toThrow(ValueError);
    const reader = new StreamReader();
    reader.feedEof();
    expect(() => reader.feedData(bytes("late"))).toThrow(/feedData after feedEof/);
  });
});

