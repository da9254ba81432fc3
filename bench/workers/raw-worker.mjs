// The baseline: a bare worker_threads echo over postMessage.
import { parentPort } from "node:worker_threads";

// A buffer goes back moved, as it came.
parentPort.on("message", (message) => parentPort.postMessage(message, message instanceof ArrayBuffer ? [message] : []));
