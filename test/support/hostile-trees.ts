import type { ThreadTree } from "../../src/index.js";

/**
 * What the thread that started a capture keeps of the "mistyped" garbage tree the
 * hostile worker fixture sends (see garbageTree there): only the node whose every
 * field checks out, named as the asker names the worker. The same whether the
 * hostile worker answers directly or through a worker that passes it up.
 */
export const mistypedTreeCutDown: ThreadTree = {
  thread: "worker hostile",
  status: "answered",
  tasks: [{ kind: "future", id: 3, name: "ok", state: "pending", awaiting: null, frames: [{ name: "f", file: null, line: null, column: null }], remote: null, children: [], servesCall: 1 }],
  threads: [{ thread: "inner", status: "gone", tasks: [], threads: [], omitted: 0 }],
  omitted: 4,
};
