import { CancelledError } from "../errors.js";
import type { EventLoop } from "../loop/event-loop.js";
import type { Future } from "./future.js";

/**
 * A future on `loop` settled by `promise`: how a coroutine waits on a promise.
 * A rejection with `CancelledError` cancels the future. Cancelling the future does
 * not stop the promise's work (a promise cannot be cancelled); its outcome is then
 * ignored.
 */
export function futureFromPromise<T>(promise: PromiseLike<T>, loop: EventLoop): Future<T> {
  const future = loop.createFuture<T>();
  loop._asyncInFlight++; // the promise's reactions run between the loop's iterations
  promise.then(
    (value) => {
      loop._asyncInFlight--;
      if (!future.done() && !loop.isClosed()) future.setResult(value);
    },
    (error) => {
      loop._asyncInFlight--;
      if (future.done() || loop.isClosed()) return;
      if (error instanceof CancelledError) future.cancel(error.message);
      else future.setException(error === undefined ? new TypeError("promise rejected with undefined") : error);
    },
  );
  return future;
}
