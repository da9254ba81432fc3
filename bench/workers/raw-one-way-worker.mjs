// The baselines of the one-way latency: a bare worker_threads receiver that adds
// up how long each stamped message took to arrive, over postMessage or over a
// SharedArrayBuffer (word 0 counts the stamps, the Float64 at byte 8 holds the
// last one), sleeping in Atomics.waitAsync as an event-loop thread must.
import { parentPort } from "node:worker_threads";
import { hrMs } from "./hr-ms.mjs";

let total = 0;
parentPort.on("message", async (message) => {
  if (message === "report") {
    parentPort.postMessage(total);
    total = 0;
  } else if (typeof message === "number") {
    total += hrMs() - message;
  } else {
    const { buffer, count } = message;
    const words = new Int32Array(buffer);
    const stamp = new Float64Array(buffer, 8, 1);
    const alive = setInterval(() => {}, 1000); // a pending waitAsync does not keep the thread alive
    parentPort.postMessage("ready");
    let sum = 0;
    for (let i = 1; i <= count; i++) {
      while (Atomics.load(words, 0) < i) {
        const wait = Atomics.waitAsync(words, 0, i - 1);
        if (wait.async) await wait.value;
      }
      sum += hrMs() - stamp[0];
    }
    clearInterval(alive);
    parentPort.postMessage(sum);
  }
});
