// Node 20 cannot load a .ts worker, and tsx's --import reaches only the main
// thread: this preload registers tsx in the test process, and every
// worker_threads Worker inherits it through execArgv.
import { register } from "tsx/esm/api";
register();
