// What is this app waiting on right now? A TaskGroup fans out over a WorkerPool
// and a lock; at a known point the demo captures one task tree across the threads
// and prints it (npm run demo:tree). Debug mode records where each task waits.
import { type Coro, Lock, WorkerPool, captureTaskTree, currentTask, formatTaskTree, run, sleep, taskGroup } from "../../src/index.js";
import type { api as RenderApi } from "./render-worker.js";

const execArgv = ["--import", new URL("./tsx-register.mjs", import.meta.url).href];

function* saveResult(lock: Lock, what: string): Coro<void> {
  yield* lock.acquire();
  try {
    yield* sleep(10);
    console.log(`saved ${what}`);
  } finally {
    lock.release();
  }
}

function* main(): Coro<void> {
  currentTask()!.setName("main");
  const pool = new WorkerPool<typeof RenderApi>(new URL("./render-worker.ts", import.meta.url), { size: 2, name: "render", worker: { execArgv } });
  const lock = new Lock();
  function* tile(n: number): Coro<string> {
    return yield* pool.api.render(n);
  }
  try {
    yield* taskGroup(function* (tg) {
      const tiles = [tg.createTask(tile(1), { name: "tile 1" }), tg.createTask(tile(2), { name: "tile 2" })];
      yield* lock.acquire(); // held while the saver below waits for it
      tg.createTask(saveResult(lock, "the index"), { name: "saver" });
      yield* sleep(500); // the workers are serving the calls by now
      console.log(formatTaskTree(yield* captureTaskTree({ threads: true, timeout: 1000 })));
      lock.release();
      for (const t of tiles) t.cancel(); // cancelled in their workers too
    });
  } finally {
    yield* pool.shutdown();
  }
}

await run(main(), { debug: true });
