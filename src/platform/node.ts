import type { Host } from "./host.js";

/** Node: `setImmediate` runs after the poll phase, so I/O and timers get their turn. */
export const host: Host = {
  name: "node",
  now: () => performance.now(),
  scheduleMacrotask: (callback) => {
    setImmediate(callback);
  },
};
