import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Coro, IncompleteReadError, StreamReader, ValueError, createTask, run, sleep } from "../../src/index.js";
import { runV } from "../support/harness.js";

// Line reading against a model of asyncio's rules, over random lines, limits and
// chunk boundaries. With everything buffered: a line whose "\n" lies within the
// limit comes back whole, an over-long one makes readline() fail with ValueError
// and is dropped, and the last partial line comes back at EOF unless it is longer
// than the limit. (Arriving in pieces, an over-long line fails as soon as the
// buffer outgrows the limit, and what arrives after is read as a new line: the
// model there keeps every line within the limit.) Lines already buffered take the
// reader's fast path, the others its coroutine: both must agree with the model.

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

type Outcome = string | "ValueError";

/** What readline() gives, call after call, for `lines` (each "\n"-terminated but maybe the last), all buffered, under `limit`. */
function model(lines: string[], limit: number): Outcome[] {
  return lines.map((line) => ((line.endsWith("\n") ? line.length - 1 : line.length) > limit ? "ValueError" : line));
}

const scenario = fc.record({
  lines: fc.array(fc.stringMatching(/^[a-z]{0,12}$/), { maxLength: 12 }),
  tail: fc.stringMatching(/^[a-z]{0,6}$/),
  limit: fc.integer({ min: 2, max: 10 }),
  cuts: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 6 }),
  fedBeforeReading: fc.boolean(),
});

/** `all`'s pieces, cut after `cuts[i % cuts.length]` characters each. */
function pieces(all: string, cuts: number[]): string[] {
  const out: string[] = [];
  for (let at = 0, i = 0; at < all.length; i++) {
    const next = Math.min(all.length, at + cuts[i % cuts.length]!);
    out.push(all.slice(at, next));
    at = next;
  }
  return out;
}

function linesOf(lines: string[], tail: string): string[] {
  return lines.map((line) => `${line}\n`).concat(tail === "" ? [] : [tail]);
}

describe("reading lines, against a model", () => {
  it("readline() gives each line, fails on an over-long one and goes on, whether the lines were buffered or arrive in pieces", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ lines, tail, limit: someLimit, cuts, fedBeforeReading }) => {
        const all = linesOf(lines, tail);
        const limit = fedBeforeReading ? someLimit : 64;
        const got = await runV(function* (): Coro<Outcome[]> {
          const reader = new StreamReader({ limit });
          function* feed(): Coro<void> {
            for (const piece of pieces(all.join(""), cuts)) {
              reader.feedData(bytes(piece));
              if (!fedBeforeReading) yield* sleep(0);
            }
            reader.feedEof();
          }
          const feeding = createTask(feed());
          if (fedBeforeReading) yield* feeding;
          const outcomes: Outcome[] = [];
          for (;;) {
            let line: string;
            try {
              line = text(yield* reader.readline());
            } catch (error) {
              if (!(error instanceof ValueError)) throw error;
              outcomes.push("ValueError");
              continue;
            }
            if (line === "") break;
            outcomes.push(line);
          }
          yield* feeding;
          return outcomes;
        });
        expect(got).toEqual(model(all, limit));
      }),
      { numRuns: 200 },
    );
  });

  it("readuntil(\"\\n\") and for await give the lines as they are, buffered or arriving in pieces", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ lines, tail, cuts, fedBeforeReading }) => {
        const all = linesOf(lines, tail);
        const viaFor = await run(async () => {
          const reader = new StreamReader();
          const feeding = (async () => {
            for (const piece of pieces(all.join(""), cuts)) {
              reader.feedData(bytes(piece));
              if (!fedBeforeReading) await sleep(0);
            }
            reader.feedEof();
          })();
          if (fedBeforeReading) await feeding;
          const seen: string[] = [];
          for await (const line of reader) seen.push(text(line));
          await feeding;
          return seen;
        });
        expect(viaFor).toEqual(all);
        const viaReaduntil = await runV(function* (): Coro<string[]> {
          const reader = new StreamReader();
          for (const piece of pieces(all.join(""), cuts)) reader.feedData(bytes(piece));
          reader.feedEof();
          const seen: string[] = [];
          while (!reader.atEof()) {
            try {
              seen.push(text(yield* reader.readuntil("\n")));
            } catch (error) {
              // The tail without "\n": IncompleteReadError holding it, as asyncio's.
              if (!(error instanceof IncompleteReadError)) throw error;
              seen.push(`partial:${text(error.partial)}`);
            }
          }
          return seen;
        });
        expect(viaReaduntil).toEqual(all.map((line) => (line.endsWith("\n") ? line : `partial:${line}`)));
      }),
      { numRuns: 100 },
    );
  });
});
