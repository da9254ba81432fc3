// The view and its tiles: plain data shared by the page and the workers.

/** One tile to render: a square of `size` pixels of the complex plane. */
export interface TileJob {
  id: string;
  view: number;
  size: number;
  x0: number;
  y0: number;
  step: number;
  maxIterations: number;
}

/** A rendered tile, as a worker hands it over through the ThreadSafeQueue. */
export interface FinishedTile {
  id: string;
  view: number;
  worker: string;
  pixels: Uint8ClampedArray;
}

/** Where the camera is: the centre and the width of the view in the complex plane. */
export interface View {
  number: number;
  cx: number;
  cy: number;
  width: number;
}

export const CANVAS = 512;
export const TILE = 64;

/** The tiles of a view, centre first (what the eye looks at gets drawn first). */
export function tilesOf(view: View): TileJob[] {
  const step = view.width / CANVAS;
  const left = view.cx - view.width / 2;
  const top = view.cy - view.width / 2;
  const maxIterations = Math.min(2000, Math.round(80 + 60 * Math.log2(3 / view.width)));
  const jobs: TileJob[] = [];
  for (let ty = 0; ty < CANVAS / TILE; ty++) {
    for (let tx = 0; tx < CANVAS / TILE; tx++) {
      jobs.push({ id: `${view.number}:${tx}:${ty}`, view: view.number, size: TILE, x0: left + tx * TILE * step, y0: top + ty * TILE * step, step, maxIterations });
    }
  }
  const middle = (CANVAS / TILE - 1) / 2;
  const distance = (job: TileJob) => {
    const [, tx, ty] = job.id.split(":").map(Number);
    return (tx! - middle) ** 2 + (ty! - middle) ** 2;
  };
  return jobs.sort((a, b) => distance(a) - distance(b));
}
