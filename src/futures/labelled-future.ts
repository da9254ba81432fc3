import type { EventLoop } from "../loop/event-loop.js";
import { Future } from "./future.js";

/**
 * @internal A future that stands for waiting on something — a lock, a queue, a
 * sleep — so that the call graph can say what a task waits on. Only the label is
 * kept (one field); it is read when a graph is captured, never on the hot path.
 */
export class LabelledFuture<T = unknown> extends Future<T> {
  constructor(
    loop: EventLoop,
    /** What is waited on: the primitive itself (described by its `toString()`), or a word ("sleep"). */
    private readonly waitsOn: object | string,
    /** Which of its waits, when it has several (a queue's "get", "put", "join"); with a word, the description. */
    private readonly action?: string,
  ) {
    super(loop);
  }

  override _describeWait(): { kind: string; description: string } {
    const on = this.waitsOn;
    if (typeof on === "string") return { kind: on, description: this.action ?? on };
    const kind = on.constructor.name;
    return { kind: this.action === undefined ? kind : `${kind}.${this.action}`, description: String(on) };
  }
}
