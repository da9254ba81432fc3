// The worker the thread benchmarks call through asyncio-ts (the built package).
import { expose } from "asyncio-ts";
import { burn } from "./burn.mjs";

expose({
  echo(value) {
    return value;
  },
  *echoCoroutine(value) {
    return value;
  },
  burn,
});
