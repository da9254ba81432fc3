// Lets the demo's worker threads load .ts modules (see docs/threads.md, "TypeScript workers in Node").
import { register } from "tsx/esm/api";
register();
