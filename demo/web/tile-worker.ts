// The tile worker: renders one tile of the Mandelbrot set as a coroutine, with a
// checkpoint every few rows, so that a tile the page no longer needs is cancelled
// right there — in this worker — and its `finally` tells the page it let go.
import { type Coro, ThreadSafeQueue, callSoonThreadsafe, expose, sleep, timeout, transfer } from "../../src/index.js";
import type { FinishedTile, TileJob } from "./tiles.js";

/**
 * A tile slower than this to compute is given up (the page counts the
 * TimeoutError). Timed here, from the tile's start: the page's view of it would
 * also count the time it waited in the pool, or for a worker still loading.
 */
const SLOW_TILE_MS = 1500;

const workerId = Math.random().toString(36).slice(2, 6);

/** The pixels of `job`'s tile, with a checkpoint every few rows: a cancel or the timeout lands there. */
function* computePixels(job: TileJob): Coro<Uint8ClampedArray> {
  const { size, x0, y0, step, maxIterations } = job;
  const pixels = new Uint8ClampedArray(size * size * 4);
  for (let row = 0; row < size; row++) {
    if (row % 4 === 0) yield* sleep(0);
    for (let column = 0; column < size; column++) {
      let x = 0;
      let y = 0;
      let n = 0;
      const cx = x0 + column * step;
      const cy = y0 + row * step;
      while (n < maxIterations && x * x + y * y <= 4) {
        const t = x * x - y * y + cx;
        y = 2 * x * y + cy;
        x = t;
        n++;
      }
      const at = (row * size + column) * 4;
      const shade = n === maxIterations ? 0 : 255 * Math.sqrt(n / maxIterations);
      pixels[at] = shade * 0.4;
      pixels[at + 1] = shade * 0.8;
      pixels[at + 2] = shade;
      pixels[at + 3] = 255;
    }
  }
  return pixels;
}

/** What the page serves to its workers (WorkerPool's `expose` option). */
export interface PageApi {
  tileCancelled(tile: string, worker: string): void;
}

export const api = {
  /** Renders `job` and puts the pixels into `finished` (a ThreadSafeQueue the page drains). */
  *renderTile(job: TileJob, finished: ThreadSafeQueue<FinishedTile>): Coro<string> {
    // A value use of ThreadSafeQueue: a bundler keeps the class (and its transfer
    // handler) in this worker only if the code uses it as more than a type.
    if (!(finished instanceof ThreadSafeQueue)) throw new TypeError("renderTile needs the ThreadSafeQueue to put tiles into");
    let done = false;
    try {
      const pixels = yield* timeout(SLOW_TILE_MS, computePixels(job));
      // Backpressure: this waits while the page has `maxsize` tiles not yet drawn.
      yield* finished.put(transfer({ id: job.id, view: job.view, worker: workerId, pixels }, [pixels.buffer]));
      done = true;
      return workerId;
    } finally {
      if (!done) callSoonThreadsafe(parent, "tileCancelled", job.id, workerId);
    }
  },
  /** The "crash a worker" button: this worker dies at top level. */
  crash(): string {
    setTimeout(() => {
      throw new Error("crashed on purpose (the demo's button)");
    }, 0);
    return workerId;
  },
};

const parent = expose<PageApi>(api);
