// The worker of the task-tree demo: a render that waits at a known place.
import { type Coro, expose, sleep } from "../../src/index.js";

function* shade(tile: number): Coro<string> {
  yield* sleep(5_000); // stands for work that waits (I/O, a lock, a queue)
  return `tile ${tile}`;
}

export const api = {
  *render(tile: number): Coro<string> {
    return yield* shade(tile);
  },
};

expose(api);
