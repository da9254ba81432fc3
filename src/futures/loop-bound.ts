import { RuntimeError } from "../errors.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running-loop.js";

/**
 * A primitive binds to the loop it is first used on (asyncio's `_LoopBoundMixin`):
 * creating it needs no loop, using it from two loops is an error.
 */
export class LoopBound {
  private boundLoop: EventLoop | null = null;

  /** @internal The running loop, checked against the one this primitive is bound to. */
  protected loop(): EventLoop {
    const loop = getRunningLoop();
    if (this.boundLoop === null) this.boundLoop = loop;
    else if (this.boundLoop !== loop) {
      throw new RuntimeError(`${this.constructor.name} is bound to a different event loop; create one per loop (use threadsafe primitives across threads).`);
    }
    return loop;
  }
}
