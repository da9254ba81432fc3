import { QueueShutDown } from "../errors.js";

const END: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * `for await (const item of queue)`, for a queue of any kind: gets items until the
 * queue is shut down and drained, and ends cleanly then. Written by hand rather
 * than as an async generator, which awaits each value it yields: with a get that
 * is over at once when an item is there (see tryFirst's `then`), an item costs one
 * promise reaction. Same-process A/B, `for await` over 1e5 items (there, or put by
 * a task into a `Queue(100)`): 0.83-0.84x.
 *
 * @example
 * ```ts
 * for await (const job of queue) await handle(job);
 * ```
 */
export class QueueIterator<T> implements AsyncIterableIterator<T, undefined> {
  private ended = false;

  constructor(private readonly queue: { get(): PromiseLike<T> }) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.ended) return Promise.resolve(END);
    return Promise.resolve(this.queue.get()).then(
      (value): IteratorResult<T, undefined> => ({ done: false, value }),
      (error: unknown): IteratorResult<T, undefined> => {
        if (!(error instanceof QueueShutDown)) throw error;
        this.ended = true;
        return END;
      },
    );
  }

  /** `break` out of the loop: later `next()`s end at once. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.ended = true;
    return Promise.resolve(END);
  }
}
