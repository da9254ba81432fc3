// What multithreading needs of Node 22 that Node 20 lacks, preloaded with
// --import into its process and (by inherited execArgv) its workers.
import { availableParallelism } from "node:os";

globalThis.navigator ??= { hardwareConcurrency: availableParallelism() };
Promise.withResolvers ??= function withResolvers() {
  let resolve;
  let reject;
  const promise = new this((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
