import { describe, expect, it } from "vitest";
import { type Coro, getRunningLoop, run, sleep } from "../../src/index.js";
import { MessageClient, MessageOwner } from "../../src/threadsafe/message-backend.js";
import type { ThreadChannel } from "../../src/threads/transfer-handlers.js";

/** A channel that never ends (the hold's own messages are what is tested). */
const channel: ThreadChannel = { _whenGone: () => () => {}, _toChild: false };

/** An owner and one hold of it, both on this thread, over a real MessageChannel. */
function ownerAndHold(): { owner: MessageOwner; client: MessageClient } {
  const loop = getRunningLoop();
  const owner = new MessageOwner("a test primitive", loop, () => ({}), () => {}, () => false);
  const { port, hold } = owner.portForAnotherThread(channel);
  expect(hold).toBeGreaterThan(0);
  return { owner, client: new MessageClient("a test primitive", port, loop) };
}

function* openHoldsBecome(owner: MessageOwner, count: number): Coro<number> {
  for (let waited = 0; owner._openHolds !== count && waited < 5000; waited += 5) yield* sleep(5);
  return owner._openHolds;
}

// The orderings of a let-go and a pass again that threads cannot be made to produce
// on purpose, played here with the hold's two ends on one thread.
describe("a hold's let-go crossing passes again", { timeout: 30_000 }, () => {
  it("a let-go asked before a pass again arrived is refused, and asked again once the holder made for that pass goes", async () => {
    await run(
      (function* (): Coro<void> {
        const { owner, client } = ownerAndHold();
        client.held();
        client.released(); // the holder went: let-go asked (received once)
        expect(owner.holdVia(channel)).not.toBeNull(); // the owner sends it again before that request arrives
        client.receivedAgain();
        client.held(); // a holder for the pass again
        yield* sleep(50); // the first request is answered meanwhile: refused
        expect(owner._openHolds).toBe(1);
        client.released(); // that holder goes: asked again, let go
        expect(yield* openHoldsBecome(owner, 0)).toBe(0);
        expect(owner.holdVia(channel)).toBeNull();
      })(),
    );
  });

  it("a holder that goes while a refused let-go is on its way asks again once it is answered", async () => {
    await run(
      (function* (): Coro<void> {
        const { owner, client } = ownerAndHold();
        client.held();
        client.released(); // let-go asked (received once)
        expect(owner.holdVia(channel)).not.toBeNull(); // a pass again crosses it
        client.receivedAgain();
        client.held();
        client.released(); // gone before the first request is answered: no second request yet
        expect(yield* openHoldsBecome(owner, 0)).toBe(0); // refused, then asked again
      })(),
    );
  });

  it("a hold a pass again lands on, while a holder elsewhere serves it, is let go of", async () => {
    await run(
      (function* (): Coro<void> {
        const { owner, client } = ownerAndHold(); // its first holder is gone, and its let-go answered
        expect(owner.holdVia(channel)).not.toBeNull();
        client.receivedAgain(); // the thread returned the holder it has from elsewhere
        client.letGoIfUnused();
        expect(yield* openHoldsBecome(owner, 0)).toBe(0);
      })(),
    );
  });

  it("a hold still used by a holder is not let go of", async () => {
    await run(
      (function* (): Coro<void> {
        const { owner, client } = ownerAndHold();
        client.held();
        client.letGoIfUnused();
        yield* sleep(50);
        expect(owner._openHolds).toBe(1);
        expect(owner.holdVia(channel)).not.toBeNull();
      })(),
    );
  });
});
