// The baseline: a bare worker_threads echo over postMessage.
import { parentPort } from "node:worker_threads";

parentPort.on("message", (message) => parentPort.postMessage(message));
