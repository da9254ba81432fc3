// The worker the thread benchmarks call through asyncio-ts (the built package).
import { expose, sleep, transfer } from "asyncio-ts";
import { burn } from "./burn.mjs";

expose({
  echo(value) {
    return value;
  },
  *echoCoroutine(value) {
    return value;
  },
  /** Sends `buffer` back, moved rather than copied. */
  echoTransfer(buffer) {
    return transfer(buffer, [buffer]);
  },
  /** Waits `ms` in sleep: a call to cancel. */
  *sleepy(ms) {
    yield* sleep(ms);
  },
  burn,
});
