/**
 * The seam between the library and its host (Node or a browser). Everything that
 * differs between the two lives behind this interface; the package's `exports`
 * conditions (and `#platform` in package.json `imports`) pick the implementation.
 */
export interface Host {
  /** `"node"` or `"browser"`, for diagnostics only — never branch on it outside `platform/`. */
  readonly name: "node" | "browser";
  /** Monotonic milliseconds, sub-millisecond precision. */
  now(): number;
  /**
   * Runs `callback` in a later macrotask, after pending I/O, timers and (in a
   * browser) rendering had their turn. The loop yields through this so it never
   * starves its host.
   */
  scheduleMacrotask(callback: () => void): void;
}
