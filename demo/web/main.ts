// The demo page: a Mandelbrot explorer rendered as tiles on a WorkerPool.
// Each tile is a coroutine in a worker; zooming cancels every tile still in flight
// for the old view — in its worker, at its next checkpoint — while the new view's
// tiles start at once. Finished tiles come back through a ThreadSafeQueue that the
// page drains one per frame, so a slow page holds the workers back (backpressure).
import {
  CancelledError,
  type Coro,
  type Task,
  ThreadSafeQueue,
  TimeoutError,
  WorkerCrashedError,
  WorkerPool,
  createTask,
  ensureFuture,
  sleep,
  startLoop,
  taskGroup,
} from "../../src/index.js";
import type { PageApi, api } from "./tile-worker.js";
import { CANVAS, type FinishedTile, TILE, type TileJob, type View, tilesOf } from "./tiles.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>("view");
const context = canvas.getContext("2d")!;

const stats = { started: 0, finished: 0, cancelledInWorker: 0, timedOut: 0, crashes: 0, retried: 0, frames: 0 };
const finishedBy = new Map<string, number>();
const cancelLatencies: number[] = [];
const cancelledAt = new Map<string, number>(); // tile id → when the page cancelled it
const inFlight = new Set<string>();

// One loop for the page's lifetime: every handler below starts tasks on it.
startLoop();

const pageApi: PageApi = {
  // A worker's finally calls this when a tile let go of its work.
  tileCancelled(tile) {
    stats.cancelledInWorker++;
    const at = cancelledAt.get(tile);
    if (at !== undefined) {
      cancelLatencies.push(performance.now() - at);
      cancelledAt.delete(tile);
    }
  },
};

// Workers made the way bundlers recognise; a factory, since the pool replaces dead ones.
const pool = new WorkerPool<typeof api>(() => new Worker(new URL("./tile-worker.ts", import.meta.url), { type: "module" }), {
  size: Math.max(2, Math.min(4, (navigator.hardwareConcurrency || 2) - 1)),
  // Two tiles at a time per worker: they come back one after the other, and on a
  // zoom the tiles still queued here are dropped at once, never sent.
  inflightPerWorker: 2,
  cancelGrace: 2000, // a worker that does not unwind a cancelled tile in 2 s is replaced
  expose: pageApi,
});
// "auto" puts the queue in shared memory when the page is cross-origin isolated;
// "Shared memory off" reloads the page with ?backend=message to compare.
const chosenBackend = new URLSearchParams(location.search).get("backend") === "message" ? "message" : "auto";
const finished = new ThreadSafeQueue<FinishedTile>({ maxsize: 6, backend: chosenBackend });

let view: View = { number: 1, cx: -0.6, cy: 0, width: 3 };
let rendering: Task<void> | null = null;

/** One tile: called in a worker (which gives up a slow one), retried once if its worker crashed. */
function* renderTile(job: TileJob): Coro<void> {
  stats.started++;
  inFlight.add(job.id);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const worker = yield* pool.api.renderTile(job, finished);
        stats.finished++;
        finishedBy.set(worker, (finishedBy.get(worker) ?? 0) + 1);
        return;
      } catch (error) {
        if (error instanceof TimeoutError) {
          stats.timedOut++;
          return;
        }
        if (error instanceof WorkerCrashedError && attempt === 0) {
          stats.retried++;
          continue; // the pool has started a new worker
        }
        throw error;
      }
    }
  } finally {
    inFlight.delete(job.id);
  }
}

/** Renders `view`: a task group of tiles; cancelling it cancels every tile in its worker. */
function show(next: View): void {
  if (rendering !== null && !rendering.done()) {
    const now = performance.now();
    for (const id of inFlight) cancelledAt.set(id, now);
    rendering.cancel("the view changed");
  }
  view = next;
  rendering = createTask(
    taskGroup(function* (group) {
      for (const job of tilesOf(next)) group.createTask(renderTile(job));
    }),
    { name: `view ${next.number}` },
  );
  rendering.then(undefined, (error) => {
    if (!(error instanceof CancelledError)) console.error("rendering failed:", error, ...((error as { exceptions?: unknown[] }).exceptions ?? []));
  });
}

/** The drawing stage: one tile per animation frame, from the queue the workers fill. */
function* drawTiles(): Coro<void> {
  for (;;) {
    const tile = yield* finished.get();
    if (tile.view !== view.number) continue; // finished just before the view changed
    const [, tx, ty] = tile.id.split(":").map(Number);
    context.putImageData(new ImageData(tile.pixels as Uint8ClampedArray<ArrayBuffer>, TILE, TILE), tx! * TILE, ty! * TILE);
    yield* ensureFuture(new Promise<number>((resolve) => requestAnimationFrame(resolve)));
  }
}
createTask(drawTiles(), { name: "draw" });

// The frame meter: the page's own thread never blocks on the work.
requestAnimationFrame(function count() {
  stats.frames++;
  requestAnimationFrame(count);
});

/** The panel, refreshed ten times a second. */
function* showStats(): Coro<void> {
  let lastFrames = 0;
  let lastAt = performance.now();
  let fps = 0;
  for (;;) {
    yield* sleep(100);
    const now = performance.now();
    if (now - lastAt >= 500) {
      fps = Math.round(((stats.frames - lastFrames) * 1000) / (now - lastAt));
      lastFrames = stats.frames;
      lastAt = now;
    }
    const sorted = [...cancelLatencies].sort((a, b) => a - b);
    const median = sorted.length ? sorted[sorted.length >> 1]! : 0;
    for (const [key, value] of Object.entries({ ...stats, fps, workers: pool.workers, queued: pool.queued, inFlight: inFlight.size, buffered: finished.qsize() })) {
      const element = document.getElementById(`stat-${key}`);
      if (element) element.textContent = String(value);
    }
    $("stat-cancel-ms").textContent = sorted.length ? `${median.toFixed(1)} ms (${sorted.length} tiles)` : "—";
    $<HTMLProgressElement>("backpressure").value = finished.qsize() / finished.maxsize;
    $("per-worker").textContent = [...finishedBy].map(([worker, count]) => `${worker}: ${count}`).join(" · ") || "—";
  }
}
createTask(showStats(), { name: "stats" });

$("backend").textContent = `ThreadSafeQueue on the ${finished.backend} backend; this page is ${globalThis.crossOriginIsolated ? "" : "not "}cross-origin isolated`;
const toggle = $<HTMLAnchorElement>("toggle-backend");
toggle.textContent = finished.backend === "shared" ? "Shared memory off" : "Shared memory on (auto)";
toggle.href = finished.backend === "shared" ? "?backend=message" : "?";
toggle.hidden = !globalThis.crossOriginIsolated; // without isolation there is only the message backend

// The controls.
canvas.addEventListener("click", (event) => {
  const box = canvas.getBoundingClientRect();
  const px = ((event.clientX - box.left) / box.width) * CANVAS;
  const py = ((event.clientY - box.top) / box.height) * CANVAS;
  const step = view.width / CANVAS;
  show({ number: view.number + 1, cx: view.cx - view.width / 2 + px * step, cy: view.cy - view.width / 2 + py * step, width: view.width / 2 });
});
$("zoom-out").addEventListener("click", () => show({ ...view, number: view.number + 1, width: Math.min(4, view.width * 2) }));
$("crash").addEventListener("click", () => {
  stats.crashes++;
  pool.api.crash().then(undefined, () => {});
});
$("cancel-all").addEventListener("click", () => {
  const now = performance.now();
  for (const id of inFlight) cancelledAt.set(id, now);
  rendering?.cancel("cancel everything");
});

show(view);
