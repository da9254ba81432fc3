// The page side of the web-app recipe (docs/web-apps.md): one loop for the page's
// lifetime, a worker made the way bundlers recognise, jobs started and cancelled
// from buttons. The same file is built by Vite and by esbuild, and served as is.
import { CancelledError, spawnWorker, startLoop } from "asyncio-ts";

const $ = (id) => document.getElementById(id);
const status = (text) => ($("status").textContent = text);

startLoop(); // UI handlers below start tasks on it

const worker = spawnWorker(new Worker(new URL("./worker.js", import.meta.url), { type: "module" }), {
  expose: { progress: (n) => ($("progress").textContent = String(n)) },
});
worker.ready().then(
  () => status("ready"),
  (error) => status(`worker failed: ${error.message}`),
);

let job = null;
$("start").onclick = () => {
  status("running");
  job = worker.api.job(1_000_000);
  job
    .then(
      (value) => status(value),
      (error) => status(error instanceof CancelledError ? "cancelled" : `failed: ${error.message}`),
    )
    .then(async () => ($("cleanups").textContent = String(await worker.api.cleanups())));
};
$("cancel").onclick = () => job?.cancel("the user clicked Cancel");
$("quick").onclick = () => worker.api.job(3).then((value) => ($("quick-result").textContent = value));
