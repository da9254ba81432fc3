// The shared-memory baseline: a bare SharedArrayBuffer ping-pong. Word 0 is the
// main thread's ping counter, word 1 this thread's pong; each side sleeps in
// Atomics.waitAsync on the other's word, as an event-loop thread must.
import { parentPort } from "node:worker_threads";

parentPort.once("message", async ({ buffer, count }) => {
  const words = new Int32Array(buffer);
  const alive = setInterval(() => {}, 1000); // a pending waitAsync does not keep the thread alive
  parentPort.postMessage("ready");
  for (let i = 1; i <= count; i++) {
    while (Atomics.load(words, 0) < i) {
      const wait = Atomics.waitAsync(words, 0, i - 1);
      if (wait.async) await wait.value;
    }
    Atomics.store(words, 1, i);
    Atomics.notify(words, 1);
  }
  clearInterval(alive);
});
