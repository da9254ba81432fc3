import type { Host } from "./host.js";

// A MessageChannel post is a macrotask without setTimeout's 4 ms clamp for nested
// timers; the browser may render and handle input between two of them.
const channel = new MessageChannel();
const pending: Array<() => void> = [];
channel.port1.onmessage = () => {
  const callback = pending.shift();
  if (callback) callback();
};

/** Browsers (page or worker): macrotasks through a `MessageChannel`. */
export const host: Host = {
  name: "browser",
  now: () => performance.now(),
  scheduleMacrotask: (callback) => {
    pending.push(callback);
    channel.port2.postMessage(null);
  },
};
