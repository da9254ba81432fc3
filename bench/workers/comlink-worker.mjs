// The same echo through comlink.
import { expose } from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { parentPort } from "node:worker_threads";

expose({ echo: (value) => value }, nodeEndpoint(parentPort));
